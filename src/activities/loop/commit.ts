import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { renderBuildLogEntry } from '../../model/buildLog';
import { git, gitOk, identityEnv } from '../git/git';

export const TRAILER_LOOP = 'Nightshift-Loop';
export const TRAILER_SESSION = 'Nightshift-Session';

export interface LoopLogEntry {
  /** Relative to the repo: seed 000's memory file, e.g. BUILD_LOG.md. */
  file: string;
  /** ISO time of the session's end, fixed by the workflow so a retry renders the same text. */
  at: string;
  timeZone: string;
  title: string;
  whatIBuilt: string;
  keyInsights: string;
}

export interface LoopCommitInput {
  repo: string;
  taskName: string;
  session: number;
  /** HEAD before the session; our own commit, if a retry already made it, is after it. */
  base: string | null;
  summary: string;
  commit: boolean;
  log?: LoopLogEntry;
}

export interface LoopCommitResult {
  commit: string | null;
  created: boolean;
  logged: boolean;
}

export function loopCommitMessage(taskName: string, session: number, summary: string): string {
  return `session-${session}: ${summary}\n\n${TRAILER_LOOP}: ${taskName}\n${TRAILER_SESSION}: ${session}\n`;
}

/**
 * The commit this session already made, found by its trailers among the commits after `base`.
 * Searching only after the session's base matters: a task restarted from scratch numbers its
 * sessions from 1 again, and an old `session-1` must not be mistaken for the new one.
 */
export async function findLoopCommit(repo: string, taskName: string, session: number, base: string | null): Promise<string | undefined> {
  const format = `%H%x1f%(trailers:key=${TRAILER_LOOP},valueonly,separator=%x2c)%x1f%(trailers:key=${TRAILER_SESSION},valueonly,separator=%x2c)`;
  const r = await git(repo, ['log', '-n', '200', `--format=${format}`, base ? `${base}..HEAD` : 'HEAD']);
  if (r.code !== 0) return undefined;
  for (const line of r.stdout.split('\n')) {
    const [hash, loop, n] = line.split('\x1f');
    if (hash && loop?.trim() === taskName && n?.trim() === String(session)) return hash;
  }
  return undefined;
}

/**
 * Ends a session in git: appends seed 000's log entry (when asked) and makes the session's one commit,
 * `session-N: <summary>` with the loop's trailers. The log entry is part of that commit, so it cannot
 * name its own hash; its Git section names the commit by subject, branch and parent instead.
 * Idempotent: an existing commit with our trailers is returned, and an entry already in the file is
 * not appended again.
 */
export async function commitLoopSession(input: LoopCommitInput): Promise<LoopCommitResult> {
  const repo = resolve(input.repo);
  if (input.commit) {
    const existing = await findLoopCommit(repo, input.taskName, input.session, input.base);
    if (existing) return { commit: existing, created: false, logged: false };
  }
  const subject = `session-${input.session}: ${input.summary}`;
  let logged = false;
  if (input.log) {
    const branch = await git(repo, ['rev-parse', '--abbrev-ref', 'HEAD']);
    const where = branch.code === 0 ? branch.stdout.trim() : 'HEAD';
    const gitText = input.commit
      ? `Committed "${subject}" on ${where}${input.base ? ` (parent ${input.base.slice(0, 12)})` : ''}.`
      : 'Not committed: this loop runs without per-session commits.';
    const entry = renderBuildLogEntry({ ...input.log, at: new Date(input.log.at), git: gitText });
    logged = appendOnce(join(repo, input.log.file), entry);
  }
  if (!input.commit) return { commit: null, created: false, logged };
  await gitOk(repo, ['add', '--all']);
  const env = await identityEnv(repo);
  // An empty commit still marks the session, so the history shows one commit per session.
  await gitOk(repo, ['commit', '--allow-empty', '--no-verify', '-q', '-m', loopCommitMessage(input.taskName, input.session, input.summary)], env);
  return { commit: await gitOk(repo, ['rev-parse', 'HEAD']), created: true, logged };
}

function appendOnce(file: string, entry: string): boolean {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current.includes(entry)) return false;
  mkdirSync(dirname(file), { recursive: true });
  const sep = current === '' ? '' : current.endsWith('\n\n') ? '' : current.endsWith('\n') ? '\n' : '\n\n';
  appendFileSync(file, `${sep}${entry}`);
  return true;
}
