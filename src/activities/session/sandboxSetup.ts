/**
 * Finds on this worker's machine what the sandbox of one agent session needs (src/agents/sandbox.ts
 * builds the argv): whether bwrap works, the homes and their secret stores, the repository's git dir,
 * the agent's state, a pids cgroup. Every path it returns exists.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AgentKind } from '../../model/request';
import {
  agentStatePaths,
  BWRAP_PACKAGE_HINT,
  DEFAULT_LIMITS,
  type HomeView,
  SECRET_HOME_ENTRIES,
  type SandboxLimits,
  type SandboxMode,
  type SandboxPlan,
} from '../../agents/sandbox';

export interface SandboxRequest {
  mode: SandboxMode;
  kind: AgentKind;
  network: boolean;
  worktree: string;
  /** The agent's final environment (its HOME, CODEX_HOME, ...). */
  env: Readonly<Record<string, string | undefined>>;
  /** This worker's NIGHTSHIFT_HOME: hidden, the worker writes it. */
  nightshiftHome: string;
  promptFile: string;
  /** The build's temp dir (TMPDIR inside); created here. */
  tmpDir: string;
  /** The agent's argv; the session fills it in once it knows whether the agent is contained. */
  command?: string[];
  limits?: SandboxLimits;
}

export type SandboxDecision =
  | { kind: 'none'; warning?: string }
  | { kind: 'bwrap'; plan: SandboxPlan; release: () => void }
  /** `--sandbox bwrap` on a worker where it cannot run: the person decides (install it or change the mode). */
  | { kind: 'unavailable'; message: string };

let probe: Promise<{ path: string } | { problem: string }> | undefined;

/** Whether bwrap is installed and can create its namespaces here; asked once per worker. */
export function bwrapAvailable(): Promise<{ path: string } | { problem: string }> {
  probe ??= (async () => {
    // NIGHTSHIFT_BWRAP names a bwrap that is not on PATH (or, in tests, one that is not there at all).
    const named = process.env.NIGHTSHIFT_BWRAP;
    const path = named ? (existsSync(named) ? named : undefined) : findOnPath('bwrap');
    if (!path) return { problem: `bubblewrap (bwrap) is not installed on this worker: ${BWRAP_PACKAGE_HINT}` };
    const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', 'true'];
    const error = await new Promise<string | undefined>((res) =>
      execFile(path, args, { timeout: 10_000 }, (err, _out, stderr) => res(err ? `${stderr.trim() || err.message}` : undefined)),
    );
    return error ? { problem: `bwrap (${path}) cannot create its sandbox on this worker: ${error}` } : { path };
  })();
  return probe;
}

export function findOnPath(program: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...pathVar.split(delimiter).filter(Boolean), '/usr/bin', '/bin', '/usr/local/bin']) {
    const candidate = join(dir, program);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** What contains this session: nothing (`none`, or `auto` without bwrap), bwrap, or a refusal for the person. */
export async function prepareSandbox(req: SandboxRequest): Promise<SandboxDecision> {
  if (req.mode === 'none') return { kind: 'none' };
  const bwrap = await bwrapAvailable();
  if ('problem' in bwrap) {
    if (req.mode === 'bwrap') return { kind: 'unavailable', message: `the build asks for --sandbox bwrap, but ${bwrap.problem}; or start it with --sandbox auto|none` };
    return { kind: 'none', warning: `not sandboxed (--sandbox auto): ${bwrap.problem}` };
  }
  const limits = req.limits ?? DEFAULT_LIMITS;
  mkdirSync(req.tmpDir, { recursive: true });
  const homes = unique([req.env.HOME, homedir(), passwdHome()].filter((h): h is string => Boolean(h)).map((h) => resolve(h))).filter((h) => h !== '/' && isDir(h));
  const hideDirs: string[] = [];
  const hideFiles: string[] = [];
  const views: HomeView[] = homes.map((home) => homeView(home, hideDirs, hideFiles));
  if (isDir(req.nightshiftHome)) hideDirs.push(resolve(req.nightshiftHome));
  const envFile = process.env.NIGHTSHIFT_AGENT_ENV_FILE;
  if (envFile && isFile(envFile)) hideFiles.push(resolve(envFile));

  const writable: string[] = [];
  const readOnly: string[] = [resolve(req.promptFile)];
  const git = gitDirs(req.worktree);
  if (git) {
    if (git.checkout && !isAncestorOrSelf(git.checkout, req.worktree) && !homes.some((h) => isAncestorOrSelf(git.checkout as string, h))) hideDirs.push(git.checkout);
    writable.push(git.common);
    for (const name of ['config', 'hooks']) if (existsSync(join(git.common, name))) readOnly.push(join(git.common, name));
  }
  const agentHome = req.env.HOME ? resolve(req.env.HOME) : homedir();
  const state = agentStatePaths(req.kind, req.env);
  for (const name of state.home) {
    const path = join(agentHome, name);
    if (!existsSync(path) && !name.includes('.json')) mkdirSync(path, { recursive: true });
    if (existsSync(path)) writable.push(path);
  }
  for (const path of state.absolute) {
    mkdirSync(path, { recursive: true });
    writable.push(resolve(path));
  }
  writable.push(resolve(req.tmpDir));
  // Paths the worker's owner chose to share with every agent (a package cache, a CLI's HOME set by a wrapper).
  // One that holds a hidden path (a home, NIGHTSHIFT_HOME, the checkout) is bound before the hiding:
  // bound after, it would show again what the hiding covered.
  const hidden = [...homes, ...hideDirs, ...hideFiles];
  const sharedBeforeHiding: string[] = [];
  for (const extra of (process.env.NIGHTSHIFT_SANDBOX_WRITABLE ?? '').split(':').filter(Boolean)) {
    if (!existsSync(extra)) continue;
    const path = resolve(extra);
    if (hidden.some((h) => isAncestorOrSelf(path, h))) sharedBeforeHiding.push(path);
    else writable.push(path);
  }

  const root = process.getuid?.() === 0;
  const cgroup = createPidsCgroup(limits.processes);
  const plan: SandboxPlan = {
    bwrap: bwrap.path,
    command: req.command ?? [],
    worktree: resolve(req.worktree),
    homes: views,
    hideDirs,
    hideFiles,
    sharedBeforeHiding,
    writable,
    readOnly,
    network: req.network,
    dropCapabilities: root,
    limits,
    // The kernel never applies RLIMIT_NPROC to root; for others it counts all their processes, so it goes on top.
    ...(!cgroup && !root ? { nprocLimit: userTaskCount() + limits.processes } : {}),
    ...(cgroup ? { cgroupProcs: cgroup.procs } : {}),
    prlimit: findOnPath('prlimit') ?? '/usr/bin/prlimit',
  };
  return {
    kind: 'bwrap',
    plan,
    release: () => {
      cgroup?.remove();
      rmSync(req.tmpDir, { recursive: true, force: true });
    },
  };
}

function homeView(home: string, hideDirs: string[], hideFiles: string[]): HomeView {
  const topSecrets = new Set(SECRET_HOME_ENTRIES.filter((e) => !e.includes('/')));
  const entries: HomeView['entries'] = [];
  for (const entry of safeReaddir(home)) {
    if (topSecrets.has(entry)) continue;
    const path = join(home, entry);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isSymbolicLink()) entries.push({ name: entry, kind: 'symlink', target: readlinkSync(path) });
    else if (stat.isDirectory()) entries.push({ name: entry, kind: 'dir' });
    else if (stat.isFile()) entries.push({ name: entry, kind: 'file' });
  }
  for (const nested of SECRET_HOME_ENTRIES.filter((e) => e.includes('/'))) {
    const path = join(home, nested);
    if (isDir(path)) hideDirs.push(path);
    else if (isFile(path)) hideFiles.push(path);
  }
  return { path: home, entries };
}

/** The repository's git dir a worktree uses (writable for git inside), and the checkout around it (hidden). */
export function gitDirs(worktree: string): { common: string; checkout?: string } | undefined {
  let gitdir: string;
  try {
    const text = readFileSync(join(worktree, '.git'), 'utf8').trim();
    if (!text.startsWith('gitdir:')) return undefined;
    gitdir = resolve(worktree, text.slice('gitdir:'.length).trim());
  } catch {
    return undefined;
  }
  let common = gitdir;
  try {
    common = resolve(gitdir, readFileSync(join(gitdir, 'commondir'), 'utf8').trim());
  } catch {
    /* not a linked worktree's dir: the dir itself */
  }
  if (!isDir(common)) return undefined;
  const checkout = common.endsWith('/.git') ? dirname(common) : undefined;
  return { common, ...(checkout && checkout !== '/' ? { checkout } : {}) };
}

/** A pids cgroup (v1 `pids` hierarchy or v2 with the pids controller) the worker may create, or nothing. */
function createPidsCgroup(max: number): { procs: string; remove: () => void } | undefined {
  const candidates = ['/sys/fs/cgroup/pids', '/sys/fs/cgroup'];
  for (const base of candidates) {
    const dir = join(base, 'nightshift', randomUUID());
    sweepCgroups(join(base, 'nightshift'));
    try {
      mkdirSync(dir, { recursive: true });
      if (!existsSync(join(dir, 'pids.max'))) {
        rmdirSync(dir);
        continue;
      }
      writeFileSync(join(dir, 'pids.max'), String(max));
      return {
        procs: join(dir, 'cgroup.procs'),
        // Empty once the session's processes are gone (the kernel may take a moment); else the next session sweeps it.
        remove: () => removeCgroupSoon(dir, 10),
      };
    } catch {
      /* not ours to create */
    }
  }
  return undefined;
}

function removeCgroupSoon(dir: string, tries: number): void {
  try {
    rmdirSync(dir);
  } catch {
    if (tries > 0) setTimeout(() => removeCgroupSoon(dir, tries - 1), 500).unref();
  }
}

/** Removes sessions' cgroups left empty (a worker that died, a slow exit); recent ones may be starting. */
function sweepCgroups(parent: string): void {
  for (const name of safeReaddir(parent)) {
    const dir = join(parent, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs > 60_000) rmdirSync(dir);
    } catch {
      /* in use, or not ours */
    }
  }
}

/** Processes and threads of this worker's user (RLIMIT_NPROC counts them all). */
function userTaskCount(): number {
  const uid = process.getuid?.();
  let count = 0;
  for (const pid of safeReaddir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const owner = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      if (Number(owner) === uid) count += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    } catch {
      /* gone */
    }
  }
  return count;
}

/** The worker user's home as the password database has it (HOME may point elsewhere). */
function passwdHome(): string | undefined {
  try {
    return userInfo().homedir;
  } catch {
    return undefined;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
function isDir(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
function isFile(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}
function isAncestorOrSelf(dir: string, path: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}
function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
