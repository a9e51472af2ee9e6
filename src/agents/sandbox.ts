/**
 * The agent sandbox (bubblewrap): which paths an agent may write, which it must not see, and the
 * `bwrap` command line that says so. Pure: the worker finds what exists on its machine
 * (src/activities/session/sandboxSetup.ts) and this module turns it into argv. docs/security.md says what
 * it does and does not protect against.
 */
import type { AgentKind } from '../model/request';

export const SANDBOX_MODES = ['auto', 'bwrap', 'none'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** The package that provides `bwrap`, named in every message that asks for it. */
export const BWRAP_PACKAGE_HINT = 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)';

/** Per-session resource limits; documented in docs/security.md. */
export interface SandboxLimits {
  /** Processes and threads of the session (a pids cgroup; else RLIMIT_NPROC above the user's current count). */
  processes: number;
  /** Open files per process (RLIMIT_NOFILE). */
  openFiles: number;
  /** Largest file a process may write (RLIMIT_FSIZE), bytes. */
  fileSizeBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { processes: 2048, openFiles: 8192, fileSizeBytes: 4 * 1024 ** 3 };

/**
 * Entries of a home directory that hold credentials: never shown to an agent. Top-level names are
 * left out of the sandbox's home; nested ones are covered with an empty directory or file.
 */
export const SECRET_HOME_ENTRIES: readonly string[] = [
  '.ssh',
  '.aws',
  '.gnupg',
  '.netrc',
  '.git-credentials',
  '.docker',
  '.kube',
  '.azure',
  '.npmrc',
  '.pypirc',
  '.password-store',
  '.vault-token',
  '.terraform.d',
  '.config/gcloud',
  '.config/gh',
  '.config/hub',
];

/** The state each agent CLI keeps in its home (config, sessions, caches): writable in the sandbox. */
export function agentStatePaths(kind: AgentKind, env: Readonly<Record<string, string | undefined>>): { home: string[]; absolute: string[] } {
  switch (kind) {
    case 'claude':
      return { home: ['.claude', '.claude.json', '.claude.json.backup'], absolute: env.CLAUDE_CONFIG_DIR ? [env.CLAUDE_CONFIG_DIR] : [] };
    case 'codex':
      return env.CODEX_HOME ? { home: [], absolute: [env.CODEX_HOME] } : { home: ['.codex'], absolute: [] };
    case 'gemini':
      return { home: ['.gemini'], absolute: [] };
    case 'aider':
      return { home: ['.aider'], absolute: [] };
    default:
      return { home: [], absolute: [] };
  }
}

export type EntryKind = 'dir' | 'file' | 'symlink';

/** A home directory as the sandbox shows it: an empty tmpfs with these entries bound back read-only. */
export interface HomeView {
  path: string;
  entries: { name: string; kind: EntryKind; target?: string }[];
}

/** Everything the argv needs, found by the worker on its machine; every path is absolute and exists. */
export interface SandboxPlan {
  bwrap: string;
  /** The agent's command line, run inside. */
  command: string[];
  /** The build's worktree: writable, and the working directory. */
  worktree: string;
  /** Homes (the agent's and the worker's): throw-away tmpfs with their non-secret entries read-only. */
  homes: HomeView[];
  /** Directories covered with an empty tmpfs (NIGHTSHIFT_HOME, the person's checkout, nested secret dirs). */
  hideDirs: string[];
  /** Files covered with /dev/null (nested secret files). */
  hideFiles: string[];
  /**
   * Shared writable paths that contain something hidden (NIGHTSHIFT_SANDBOX_WRITABLE=/srv/shared over a
   * NIGHTSHIFT_HOME inside it): bound before the hiding, so what is hidden inside them stays hidden.
   */
  sharedBeforeHiding?: string[];
  /** Bound back writable after hiding: the repository's git dir, the agent's state, the build's temp dir. */
  writable: string[];
  /** Bound back read-only after that: the prompt file, the git dir's config and hooks (they run outside). */
  readOnly: string[];
  network: boolean;
  /** Drop every capability (the worker runs as root: without this, root inside could unmount the hiding). */
  dropCapabilities: boolean;
  limits: SandboxLimits;
  /** RLIMIT_NPROC to set, when no pids cgroup holds the session. */
  nprocLimit?: number;
  /** The pids cgroup's `cgroup.procs`: the session joins it before bwrap starts. */
  cgroupProcs?: string;
  /** prlimit's path (util-linux). */
  prlimit: string;
}

/**
 * The command line that runs `plan.command` sandboxed. Later mounts cover earlier ones, so the order
 * is: everything read-only, shared dirs that hold hidden ones, then hide (homes, NIGHTSHIFT_HOME,
 * checkout, secrets), then bind back what the agent needs. No shell sees any user input: the cgroup wrapper's script is fixed and
 * takes the path and argv as arguments.
 */
export function sandboxArgv(plan: SandboxPlan): string[] {
  const args: string[] = [plan.bwrap, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  for (const path of plan.sharedBeforeHiding ?? []) args.push('--bind', path, path);
  for (const home of plan.homes) {
    args.push('--tmpfs', home.path);
    for (const entry of home.entries) {
      const path = `${home.path}/${entry.name}`;
      if (entry.kind === 'symlink' && entry.target !== undefined) args.push('--symlink', entry.target, path);
      else args.push('--ro-bind', path, path);
    }
  }
  for (const dir of plan.hideDirs) args.push('--tmpfs', dir);
  for (const file of plan.hideFiles) args.push('--ro-bind', '/dev/null', file);
  for (const path of plan.writable) args.push('--bind', path, path);
  args.push('--bind', plan.worktree, plan.worktree);
  for (const path of plan.readOnly) args.push('--ro-bind', path, path);
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session');
  if (!plan.network) args.push('--unshare-net');
  if (plan.dropCapabilities) args.push('--cap-drop', 'ALL');
  args.push('--chdir', plan.worktree, '--', ...limitArgv(plan), ...plan.command);
  if (!plan.cgroupProcs) return args;
  return ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', plan.cgroupProcs, ...args];
}

/** prlimit wrapping the command inside the sandbox: hard and soft limits, so the agent cannot raise them. */
export function limitArgv(plan: Pick<SandboxPlan, 'prlimit' | 'limits' | 'nprocLimit'>): string[] {
  return [
    plan.prlimit,
    `--nofile=${plan.limits.openFiles}`,
    `--fsize=${plan.limits.fileSizeBytes}`,
    ...(plan.nprocLimit !== undefined ? [`--nproc=${plan.nprocLimit}`] : []),
    '--',
  ];
}

/** One line for the transcript's header and `status`: what contains this session. */
export function sandboxSummary(plan: SandboxPlan): string {
  const procs = plan.cgroupProcs ? `${plan.limits.processes} processes (pids cgroup)` : plan.nprocLimit !== undefined ? `RLIMIT_NPROC ${plan.nprocLimit}` : 'processes not limited (root without a pids cgroup)';
  return (
    `bwrap: writable ${[plan.worktree, ...plan.writable].join(', ')}; hidden ${[...plan.hideDirs, ...plan.hideFiles].length} paths and the homes' secret stores; ` +
    `network ${plan.network ? 'on' : 'off'}; limits: ${procs}, ${plan.limits.openFiles} open files, files up to ${plan.limits.fileSizeBytes} bytes`
  );
}
