import { agentStatePaths, DEFAULT_LIMITS, limitArgv, sandboxArgv, type SandboxPlan } from '../../../src/agents/sandbox';

const plan = (over: Partial<SandboxPlan> = {}): SandboxPlan => ({
  bwrap: '/usr/bin/bwrap',
  command: ['agent', '--prompt', 'a b; rm -rf /'],
  worktree: '/home/u/.nightshift/workspaces/b',
  homes: [{ path: '/home/u', entries: [{ name: '.config', kind: 'dir' }, { name: '.profile', kind: 'file' }, { name: 'bin', kind: 'symlink', target: '/opt/bin' }] }],
  hideDirs: ['/home/u/.nightshift', '/home/u/code/repo'],
  hideFiles: ['/home/u/.config/gh/hosts.yml'],
  writable: ['/home/u/code/repo/.git', '/home/u/.claude'],
  readOnly: ['/home/u/.nightshift/builds/b/sessions/session-001.prompt.md', '/home/u/code/repo/.git/hooks'],
  network: true,
  dropCapabilities: false,
  limits: DEFAULT_LIMITS,
  prlimit: '/usr/bin/prlimit',
  ...over,
});

const pos = (argv: string[], ...words: string[]) => argv.findIndex((_, i) => words.every((w, j) => argv[i + j] === w));

describe('sandboxArgv', () => {
  it('starts read-only, hides, then binds back, so later mounts cover earlier ones', () => {
    const argv = sandboxArgv(plan());
    expect(argv.slice(0, 5)).toEqual(['/usr/bin/bwrap', '--ro-bind', '/', '/', '--dev']);
    const home = pos(argv, '--tmpfs', '/home/u');
    const entry = pos(argv, '--ro-bind', '/home/u/.config', '/home/u/.config');
    const hideNs = pos(argv, '--tmpfs', '/home/u/.nightshift');
    const hideCheckout = pos(argv, '--tmpfs', '/home/u/code/repo');
    const gitDir = pos(argv, '--bind', '/home/u/code/repo/.git', '/home/u/code/repo/.git');
    const worktree = pos(argv, '--bind', '/home/u/.nightshift/workspaces/b', '/home/u/.nightshift/workspaces/b');
    const hooks = pos(argv, '--ro-bind', '/home/u/code/repo/.git/hooks', '/home/u/code/repo/.git/hooks');
    for (const i of [home, entry, hideNs, hideCheckout, gitDir, worktree, hooks]) expect(i).toBeGreaterThan(0);
    expect(home).toBeLessThan(entry);
    expect(entry).toBeLessThan(hideNs);
    expect(hideNs).toBeLessThan(gitDir);
    expect(hideCheckout).toBeLessThan(gitDir);
    expect(gitDir).toBeLessThan(hooks);
    expect(hideNs).toBeLessThan(worktree);
    expect(pos(argv, '--symlink', '/opt/bin', '/home/u/bin')).toBeGreaterThan(home);
    expect(pos(argv, '--ro-bind', '/dev/null', '/home/u/.config/gh/hosts.yml')).toBeGreaterThan(entry);
  });

  it('runs the command as separate words after prlimit, never through a shell', () => {
    const argv = sandboxArgv(plan());
    const dash = argv.indexOf('--');
    expect(argv.slice(dash + 1)).toEqual(['/usr/bin/prlimit', '--nofile=8192', `--fsize=${4 * 1024 ** 3}`, '--', 'agent', '--prompt', 'a b; rm -rf /']);
    expect(argv).not.toContain('sh');
    expect(argv).toEqual(expect.arrayContaining(['--unshare-pid', '--die-with-parent', '--new-session']));
    expect(pos(argv, '--chdir', '/home/u/.nightshift/workspaces/b')).toBeGreaterThan(0);
  });

  it('network on by default; --no-network unshares it; root drops every capability', () => {
    expect(sandboxArgv(plan())).not.toContain('--unshare-net');
    expect(sandboxArgv(plan({ network: false }))).toContain('--unshare-net');
    expect(sandboxArgv(plan())).not.toContain('--cap-drop');
    expect(pos(sandboxArgv(plan({ dropCapabilities: true })), '--cap-drop', 'ALL')).toBeGreaterThan(0);
  });

  it('joins a pids cgroup through a fixed script that takes the path and argv as arguments', () => {
    const argv = sandboxArgv(plan({ cgroupProcs: '/sys/fs/cgroup/pids/nightshift/x/cgroup.procs' }));
    expect(argv.slice(0, 5)).toEqual(['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', '/sys/fs/cgroup/pids/nightshift/x/cgroup.procs', '/usr/bin/bwrap']);
    expect(argv[argv.length - 1]).toBe('a b; rm -rf /');
  });

  it('sets RLIMIT_NPROC only when asked (no cgroup, not root)', () => {
    expect(limitArgv({ prlimit: 'p', limits: DEFAULT_LIMITS })).not.toContain('--nproc=10');
    expect(limitArgv({ prlimit: 'p', limits: DEFAULT_LIMITS, nprocLimit: 10 })).toContain('--nproc=10');
  });
});

describe('agentStatePaths', () => {
  it('names each CLI its own state and nothing for other agents', () => {
    expect(agentStatePaths('claude', {}).home).toEqual(expect.arrayContaining(['.claude', '.claude.json']));
    expect(agentStatePaths('codex', {})).toEqual({ home: ['.codex'], absolute: [] });
    expect(agentStatePaths('codex', { CODEX_HOME: '/x/codex' })).toEqual({ home: [], absolute: ['/x/codex'] });
    expect(agentStatePaths('gemini', {}).home).toEqual(['.gemini']);
    expect(agentStatePaths('aider', {}).home).toEqual(['.aider']);
    expect(agentStatePaths('command', {})).toEqual({ home: [], absolute: [] });
  });
});
