import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Exit {
  code: number | null;
  signal: string | null;
}

/** Every agent process group this worker has started and not yet seen gone; killed on worker exit. */
const liveGroups = new Set<number>();

export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and not a zombie (a zombie is dead; it only waits for a parent that may never reap it). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Ends a whole process group: SIGTERM, then SIGKILL after `graceMs` for anything that ignores it
 * (agents spawn shells and test runners that do). Resolves when the group is gone.
 */
export async function killGroup(pgid: number, graceMs = 3000): Promise<void> {
  if (!groupExists(pgid)) return;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (groupExists(pgid) && Date.now() < deadline) await sleep(50);
  if (groupExists(pgid)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    // Bounded: members that are zombies (reparented to an init that does not reap) never leave.
    const killDeadline = Date.now() + 2000;
    while (groupExists(pgid) && Date.now() < killDeadline) await sleep(20);
  }
  liveGroups.delete(pgid);
}

/** Last resort on worker exit: no agent outlives the worker that started it. */
export function killAllGroupsNow(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  liveGroups.clear();
}

export interface PidRecord {
  pgid: number;
  program: string;
  session: number;
  startedAt: string;
}

/**
 * A group recorded by an earlier attempt whose worker died: kill it before starting again, so a
 * crashed worker never leaves two agents editing one worktree.
 */
export async function killRecordedGroup(pidFile: string): Promise<PidRecord | undefined> {
  let record: PidRecord;
  try {
    record = JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
  if (groupExists(record.pgid)) await killGroup(record.pgid);
  rmSync(pidFile, { force: true });
  return record;
}

export function writePidRecord(pidFile: string, record: PidRecord): void {
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, JSON.stringify(record));
}

export interface StartedProcess {
  pid: number;
  /** The leader exited. Stragglers of its group may still hold the pipes open. */
  exited: Promise<Exit>;
  /** All output has been read (every holder of the pipes is gone). */
  closed: Promise<void>;
}

/** Spawns argv (never through a shell) as the leader of a new process group. */
export function spawnGroup(
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; onStdout: (chunk: Buffer) => void; onStderr: (chunk: Buffer) => void },
): Promise<StartedProcess> {
  const [program, ...args] = argv;
  if (!program) throw new Error('empty agent command');
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<Exit>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    const closed = new Promise<void>((res) => child.once('close', () => res()));
    child.stdout.on('data', options.onStdout);
    child.stderr.on('data', options.onStderr);
    child.once('error', reject);
    child.once('spawn', () => {
      liveGroups.add(child.pid as number);
      resolve({ pid: child.pid as number, exited, closed });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
