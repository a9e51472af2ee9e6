/**
 * The Stop hook entry of a hook-mode loop in the repository's `.claude/settings.local.json`: merged into
 * whatever the person has there (other hooks, permissions, env), never overwriting it, and taken out
 * again leaving the rest as it was. The merge and unmerge are pure; the file functions around them
 * write atomically (temp file + rename), so Claude Code never reads half a file.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidDocumentError } from '../model/errors';
import { SETTINGS_FILE } from '../model/hookLoop';
import { writeAtomic } from '../atomicFile';

type Json = Record<string, unknown>;
interface HookCommand {
  type: string;
  command?: string;
  timeout?: number;
}
interface HookGroup {
  matcher?: string;
  hooks?: HookCommand[];
}

/** Seconds Claude Code gives the hook; the hook itself decides within a few (its network budget is 5 s). */
export const HOOK_TIMEOUT_SECONDS = 30;
/** The argument that marks Nightshift's entry and names its loop: `--nightshift-loop NAME`. */
const MARK = '--nightshift-loop';

export interface StopHookSpec {
  /** Absolute path of dist/src/hooks/stopHook.js. */
  script: string;
  taskName: string;
  repo: string;
  address: string;
  namespace: string;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The command Claude Code runs (through a shell): node, the script, and what it needs when the state file is gone. */
export function stopHookCommand(spec: StopHookSpec): string {
  return [quote(process.execPath), quote(spec.script), MARK, quote(spec.taskName), '--repo', quote(resolve(spec.repo)), '--address', quote(spec.address), '--namespace', quote(spec.namespace)].join(' ');
}

function isOurs(hook: HookCommand, taskName?: string): boolean {
  const cmd = hook.command ?? '';
  if (!cmd.includes(` ${MARK} `)) return false;
  return taskName === undefined || cmd.includes(` ${MARK} ${quote(taskName)} `);
}

/** The loops whose Stop hook is in these settings. */
export function installedLoops(settings: Json): string[] {
  const names: string[] = [];
  for (const group of stopGroups(settings)) {
    for (const hook of group.hooks ?? []) {
      const m = new RegExp(`${MARK} '((?:[^']|'\\\\'')*)'`).exec(hook.command ?? '');
      if (m?.[1]) names.push(m[1].replace(/'\\''/g, "'"));
    }
  }
  return names;
}

function stopGroups(settings: Json): HookGroup[] {
  const hooks = settings.hooks;
  if (!hooks || typeof hooks !== 'object' || Array.isArray(hooks)) return [];
  const stop = (hooks as Json).Stop;
  return Array.isArray(stop) ? (stop as HookGroup[]) : [];
}

/**
 * The settings with the loop's Stop hook added as its own group after the person's, replacing an
 * entry of the same loop (so installing twice leaves one). Everything else is kept as it was.
 */
export function mergeStopHook(settings: Json, spec: StopHookSpec): Json {
  const without = unmergeStopHook(settings, spec.taskName);
  const hooks = without.hooks && typeof without.hooks === 'object' && !Array.isArray(without.hooks) ? (without.hooks as Json) : {};
  const stop = Array.isArray(hooks.Stop) ? (hooks.Stop as HookGroup[]) : [];
  const entry: HookGroup = { hooks: [{ type: 'command', command: stopHookCommand(spec), timeout: HOOK_TIMEOUT_SECONDS }] };
  return { ...without, hooks: { ...hooks, Stop: [...stop, entry] } };
}

/**
 * The settings without the loop's Stop hook (any loop's when no name is given). A group left with no
 * hooks goes, then an empty `Stop`, then an empty `hooks`; nothing else is touched.
 */
export function unmergeStopHook(settings: Json, taskName?: string): Json {
  const hooks = settings.hooks;
  if (!hooks || typeof hooks !== 'object' || Array.isArray(hooks)) return settings;
  const stop = (hooks as Json).Stop;
  if (!Array.isArray(stop)) return settings;
  const groups: HookGroup[] = [];
  let changed = false;
  for (const group of stop as HookGroup[]) {
    const list = Array.isArray(group?.hooks) ? group.hooks : null;
    if (!list) {
      groups.push(group);
      continue;
    }
    const kept = list.filter((h) => !isOurs(h, taskName));
    if (kept.length === list.length) groups.push(group);
    else {
      changed = true;
      if (kept.length > 0) groups.push({ ...group, hooks: kept });
    }
  }
  if (!changed) return settings;
  const { Stop: _stop, ...otherEvents } = hooks as Json;
  const nextHooks = groups.length > 0 ? { ...otherEvents, Stop: groups } : otherEvents;
  const { hooks: _hooks, ...rest } = settings;
  return Object.keys(nextHooks).length > 0 ? { ...rest, hooks: nextHooks } : rest;
}

export function settingsPath(repo: string): string {
  return join(resolve(repo), SETTINGS_FILE);
}

/** The settings file's content ({} when absent). A file that is not a JSON object is refused, never overwritten. */
export function readSettings(path: string): Json {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidDocumentError(path, [`not valid JSON: ${(err as Error).message}`], 'Fix it or move it away: Nightshift merges its Stop hook into it and never overwrites it.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidDocumentError(path, ['expected a JSON object']);
  return parsed as Json;
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Installs the loop's Stop hook in `<repo>/.claude/settings.local.json` (idempotent). */
export function installStopHook(spec: StopHookSpec): string {
  const path = settingsPath(spec.repo);
  writeJsonAtomic(path, mergeStopHook(readSettings(path), spec));
  return path;
}

/**
 * Takes the loop's Stop hook out again (idempotent). Settings that end up empty are removed as a file,
 * since nothing else was in it; anything else the person has there stays.
 */
export function removeStopHook(repo: string, taskName: string): boolean {
  const path = settingsPath(repo);
  if (!existsSync(path)) return false;
  let settings: Json;
  try {
    settings = readSettings(path);
  } catch {
    // Not ours to repair: a file the person broke keeps whatever they wrote.
    return false;
  }
  const next = unmergeStopHook(settings, taskName);
  if (next === settings) return false;
  if (Object.keys(next).length === 0) rmSync(path, { force: true });
  else writeJsonAtomic(path, next);
  return true;
}
