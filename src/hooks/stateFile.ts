/**
 * The hook-mode loop's local state, `<repo>/.claude/nightshift-loop.local.json`: written by
 * `nightshift loop --hook`, read and counted by the Stop hook, removed when the loop ends. Deleting
 * it cancels the loop (seed 003's `rm .claude/autonomous-loop.local.md`).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { HOOK_STATE_FILE, type HookState, HookStateSchema, SETTINGS_FILE } from '../model/hookLoop';
import { describeIssues } from '../model/zodIssues';
import { writeJsonAtomic } from './settings';

export function hookStatePath(repo: string): string {
  return join(resolve(repo), HOOK_STATE_FILE);
}

export type ReadState = { kind: 'absent' } | { kind: 'unreadable'; problem: string } | { kind: 'ok'; state: HookState };

export function readHookState(repo: string): ReadState {
  const path = hookStatePath(repo);
  if (!existsSync(path)) return { kind: 'absent' };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { kind: 'unreadable', problem: `${path}: ${(err as Error).message}` };
  }
  const parsed = HookStateSchema.safeParse(raw);
  return parsed.success ? { kind: 'ok', state: parsed.data } : { kind: 'unreadable', problem: `${path}: ${describeIssues(parsed.error).join('; ')}` };
}

export function writeHookState(repo: string, state: HookState): void {
  writeJsonAtomic(hookStatePath(repo), state);
}

/** Removes the state file if it is this loop's (another loop's file in the same repo is left alone). */
export function removeHookState(repo: string, taskName: string): boolean {
  const current = readHookState(repo);
  if (current.kind === 'absent') return false;
  if (current.kind === 'ok' && current.state.taskName !== taskName) return false;
  rmSync(hookStatePath(repo), { force: true });
  return true;
}

/** Keeps both files out of commits through the repo's own `.git/info/exclude` (never its .gitignore). */
export function excludeHookFiles(repo: string): void {
  const r = spawnSync('git', ['-C', repo, 'rev-parse', '--git-path', 'info/exclude'], { encoding: 'utf8' });
  if (r.status !== 0) return;
  const rel = r.stdout.trim();
  const file = isAbsolute(rel) ? rel : join(repo, rel);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  const missing = [SETTINGS_FILE, HOOK_STATE_FILE].filter((p) => !lines.includes(p) && !lines.includes(`/${p}`));
  if (missing.length === 0) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${current === '' || current.endsWith('\n') ? '' : '\n'}# nightshift hook-mode loop (seed 003)\n${missing.join('\n')}\n`);
}
