import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { countCheckboxes, initialTaskList, type LoopMode, nextOpenItem, progressEntry } from '../../model/taskList';
import { git } from '../git/git';

/**
 * Seed 003's files, in `<repo>/.autonomous/<taskName>/`: `task_list.md`, `progress.md`, `.mode` and
 * `sessions/`. Every function here is idempotent: an activity may run twice.
 */
export const AUTONOMOUS_DIR = '.autonomous';

export function taskDir(repo: string, taskName: string): string {
  return join(resolve(repo), AUTONOMOUS_DIR, taskName);
}
export function taskListPath(repo: string, taskName: string): string {
  return join(taskDir(repo, taskName), 'task_list.md');
}
export function progressPath(repo: string, taskName: string): string {
  return join(taskDir(repo, taskName), 'progress.md');
}
export function loopSessionsDir(repo: string, taskName: string): string {
  return join(taskDir(repo, taskName), 'sessions');
}

export interface PrepareLoopInput {
  repo: string;
  taskName: string;
  mode: LoopMode;
  task: string;
  criteria: string[];
}
export interface LoopSnapshot {
  /** HEAD before the session (null in a repo without commits): the commit activity searches after it. */
  head: string | null;
  checkboxes: { done: number; total: number } | null;
  nextItem: string | null;
}
export interface LoopRepoInput {
  repo: string;
  taskName: string;
}
export interface LoopProgressInput extends LoopRepoInput {
  session: number;
  at: string;
  mode: LoopMode;
  summary: string;
  checkboxes: { done: number; total: number } | null;
  /** Hook mode: the Claude Code transcript, instead of `sessions/session-NNN.log`. */
  log?: string;
}

/**
 * Creates the task directory, seeds `task_list.md` (structured mode, only when absent: a continued
 * task keeps its list), writes `.mode`, and keeps `.autonomous/` out of commits through the repo's
 * `.git/info/exclude` (never the project's own .gitignore).
 */
export async function prepareLoop(input: PrepareLoopInput): Promise<LoopSnapshot> {
  const repo = resolve(input.repo);
  const top = await git(repo, ['rev-parse', '--show-toplevel']);
  if (!existsSync(repo) || top.code !== 0) {
    throw ApplicationFailure.nonRetryable(`${input.repo} is not a git repository`, 'InvalidRepo');
  }
  const dir = taskDir(repo, input.taskName);
  mkdirSync(join(dir, 'sessions'), { recursive: true });
  writeFileSync(join(dir, '.mode'), `${input.mode}\n`);
  const list = taskListPath(repo, input.taskName);
  if (input.mode === 'structured' && !existsSync(list)) writeFileSync(list, initialTaskList(input.task, input.criteria));
  const progress = progressPath(repo, input.taskName);
  if (!existsSync(progress)) writeFileSync(progress, `# Progress: ${input.taskName}\n\n`);
  await excludeAutonomous(repo);
  return loopSnapshot(input);
}

/** Adds `.autonomous/` to the repository's own exclude file once (works in linked worktrees too). */
export async function excludeAutonomous(repo: string): Promise<void> {
  const r = await git(repo, ['rev-parse', '--git-path', 'info/exclude']);
  if (r.code !== 0) throw new Error(`cannot find the exclude file of ${repo}: ${r.stderr.trim()}`);
  const rel = r.stdout.trim();
  const file = isAbsolute(rel) ? rel : join(repo, rel);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const pattern = `${AUTONOMOUS_DIR}/`;
  if (current.split(/\r?\n/).some((l) => l.trim() === pattern || l.trim() === `/${pattern}`)) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${current === '' || current.endsWith('\n') ? '' : '\n'}# nightshift loops (seed 003)\n${pattern}\n`);
}

/** HEAD and the checklist, read before and after each session. */
export async function loopSnapshot(input: LoopRepoInput): Promise<LoopSnapshot> {
  const head = await git(resolve(input.repo), ['rev-parse', '--verify', '-q', 'HEAD']);
  const list = taskListPath(input.repo, input.taskName);
  const text = existsSync(list) ? readFileSync(list, 'utf8') : null;
  const counts = text === null ? null : countCheckboxes(text);
  return {
    head: head.code === 0 ? head.stdout.trim() : null,
    checkboxes: counts ? { done: counts.done, total: counts.total } : null,
    nextItem: text === null ? null : nextOpenItem(text),
  };
}

/** One `progress.md` entry per session; a retried activity finds its heading and does nothing. */
export function appendLoopProgress(input: LoopProgressInput): void {
  const file = progressPath(input.repo, input.taskName);
  mkdirSync(dirname(file), { recursive: true });
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current.includes(`## Session ${input.session} — ${input.at}`)) return;
  const entry = progressEntry({
    session: input.session,
    at: new Date(input.at),
    summary: input.summary,
    mode: input.mode,
    ...(input.log ? { log: input.log } : {}),
    ...(input.checkboxes ? { counts: { ...input.checkboxes, open: input.checkboxes.total - input.checkboxes.done } } : {}),
  });
  appendFileSync(file, entry);
}

export interface TaskDirSummary {
  taskName: string;
  dir: string;
  mode: LoopMode | null;
  sessionLogs: number;
  checkboxes: { done: number; total: number } | null;
}

/** What `nightshift loop --list` reads from disk: every task directory under `<repo>/.autonomous/`. */
export function readTaskDirs(repo: string): TaskDirSummary[] {
  const root = join(resolve(repo), AUTONOMOUS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => readTaskDir(repo, d.name));
}

export function readTaskDir(repo: string, taskName: string): TaskDirSummary {
  const dir = taskDir(repo, taskName);
  const modeFile = join(dir, '.mode');
  const mode = existsSync(modeFile) ? readFileSync(modeFile, 'utf8').trim() : null;
  const sessions = join(dir, 'sessions');
  const logs = existsSync(sessions) ? readdirSync(sessions).filter((f) => /^session-\d+\.log$/.test(f)).length : 0;
  const list = join(dir, 'task_list.md');
  const counts = existsSync(list) ? countCheckboxes(readFileSync(list, 'utf8')) : null;
  return {
    taskName,
    dir,
    mode: mode === 'structured' || mode === 'lightweight' ? mode : null,
    sessionLogs: logs,
    checkboxes: counts ? { done: counts.done, total: counts.total } : null,
  };
}
