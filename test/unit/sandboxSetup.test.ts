import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxArgv } from '../../src/agents/sandbox';
import { bwrapAvailable, gitDirs, prepareSandbox, type SandboxRequest } from '../../src/activities/session/sandboxSetup';
import { gitIn, makeRepo, tempDir } from '../support/repo';

/** A repo with a linked worktree in a NIGHTSHIFT_HOME, a HOME with secrets, a prompt file. */
function fixture() {
  const repo = makeRepo();
  const nsHome = tempDir('nshome');
  const worktree = join(nsHome, 'workspaces', 'b');
  gitIn(repo, 'worktree', 'add', '-q', '-b', 'nightshift/b', worktree);
  const home = tempDir('fakehome');
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'id_ed25519'), 'PLANTED-SSH-KEY');
  mkdirSync(join(home, '.config', 'gcloud'), { recursive: true });
  writeFileSync(join(home, '.config', 'gcloud', 'creds.json'), 'PLANTED-GCLOUD');
  writeFileSync(join(home, '.config', 'tool.conf'), 'visible');
  writeFileSync(join(home, '.netrc'), 'PLANTED-NETRC');
  mkdirSync(join(nsHome, 'builds', 'other'), { recursive: true });
  writeFileSync(join(nsHome, 'builds', 'other', 'secret.log'), 'PLANTED-OTHER-BUILD');
  const prompt = join(nsHome, 'builds', 'b', 'sessions', 'session-001.prompt.md');
  mkdirSync(join(prompt, '..'), { recursive: true });
  writeFileSync(prompt, 'the prompt');
  return { repo, nsHome, worktree, home, prompt };
}

function run(req: Omit<SandboxRequest, 'command'>, script: string) {
  return prepareSandbox({ ...req, command: ['/bin/sh', '-c', script] }).then((d) => {
    if (d.kind !== 'bwrap') throw new Error(`expected bwrap, got ${JSON.stringify(d)}`);
    const argv = sandboxArgv(d.plan);
    const out = spawnSync(argv[0] as string, argv.slice(1), { cwd: req.worktree, env: { ...process.env, ...req.env, TMPDIR: req.tmpDir }, encoding: 'utf8', timeout: 30_000 });
    d.release();
    return out;
  });
}

describe('the bwrap sandbox on this machine', () => {
  beforeAll(async () => {
    const probe = await bwrapAvailable();
    // CI installs bubblewrap (.ci/run): its absence here is a setup error, not a reason to skip.
    if ('problem' in probe) throw new Error(probe.problem);
  });

  // The integration setup shares its whole test dir with every agent; these tests say what they share.
  const shared = process.env.NIGHTSHIFT_SANDBOX_WRITABLE;
  beforeEach(() => delete process.env.NIGHTSHIFT_SANDBOX_WRITABLE);
  afterAll(() => {
    if (shared === undefined) delete process.env.NIGHTSHIFT_SANDBOX_WRITABLE;
    else process.env.NIGHTSHIFT_SANDBOX_WRITABLE = shared;
  });

  it('lets the agent write its worktree, commit with git, and nothing else; secrets and other builds are not there', async () => {
    const f = fixture();
    const req = { mode: 'bwrap' as const, kind: 'claude' as const, network: true, worktree: f.worktree, env: { HOME: f.home }, nightshiftHome: f.nsHome, promptFile: f.prompt, tmpDir: join(f.nsHome, 'builds', 'b', 'tmp', 's1') };
    const script = [
      'echo work > file.txt',
      'git add file.txt && git -c user.name=a -c user.email=a@a commit -qm agent && echo COMMITTED',
      'cat "$HOME/.ssh/id_ed25519" "$HOME/.config/gcloud/creds.json" "$HOME/.netrc" 2>/dev/null',
      'cat "$HOME/.config/tool.conf"; echo',
      `cat ${f.nsHome}/builds/other/secret.log 2>/dev/null`,
      `cat ${f.repo}/README.md 2>/dev/null || echo CHECKOUT-HIDDEN`,
      `cat ${f.prompt}; echo`,
      `echo x > ${f.repo}/.git/hooks/post-commit 2>/dev/null || echo HOOKS-READ-ONLY`,
      'echo x > "$HOME/.bashrc"; echo x > /etc/nightshift-test 2>/dev/null || echo ETC-READ-ONLY',
      'echo state > "$HOME/.claude/state" && echo STATE-WRITTEN',
      'echo t > "$TMPDIR/t" && echo TMP-WRITTEN',
      'echo "pid $$"',
    ].join('\n');
    const out = await run(req, script);
    expect(out.stdout).toContain('COMMITTED');
    expect(out.stdout).not.toContain('PLANTED');
    expect(out.stdout).toContain('visible');
    expect(out.stdout).toContain('CHECKOUT-HIDDEN');
    expect(out.stdout).toContain('the prompt');
    expect(out.stdout).toContain('HOOKS-READ-ONLY');
    expect(out.stdout).toContain('ETC-READ-ONLY');
    expect(out.stdout).toContain('STATE-WRITTEN');
    expect(out.stdout).toContain('TMP-WRITTEN');
    expect(Number(/pid (\d+)/.exec(out.stdout)?.[1])).toBeLessThan(10);
    // What the agent wrote where it may, stays; its write to HOME went to a throw-away tmpfs.
    expect(readFileSync(join(f.worktree, 'file.txt'), 'utf8')).toBe('work\n');
    expect(gitIn(f.repo, 'log', '-1', '--format=%s', 'nightshift/b')).toBe('agent');
    expect(readFileSync(join(f.home, '.claude', 'state'), 'utf8')).toBe('state\n');
    expect(existsSync(join(f.home, '.bashrc'))).toBe(false);
    expect(existsSync('/etc/nightshift-test')).toBe(false);
    expect(existsSync(join(f.repo, '.git', 'hooks', 'post-commit'))).toBe(false);
  });

  it('a shared writable dir that holds the homes, NIGHTSHIFT_HOME and the checkout does not show them again', async () => {
    const f = fixture();
    const root = tempDir('shared-root');
    const nsHome = join(root, 'nshome');
    const home = join(root, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'id_ed25519'), 'PLANTED-SSH-KEY');
    mkdirSync(join(nsHome, 'builds', 'other'), { recursive: true });
    writeFileSync(join(nsHome, 'builds', 'other', 'secret.log'), 'PLANTED-OTHER-BUILD');
    const worktree = join(nsHome, 'workspaces', 'c');
    gitIn(f.repo, 'worktree', 'add', '-q', '-b', 'nightshift/c', worktree);
    mkdirSync(join(root, 'cache'));
    process.env.NIGHTSHIFT_SANDBOX_WRITABLE = `${root}:${f.repo}`;
    const req = { mode: 'bwrap' as const, kind: 'command' as const, network: true, worktree, env: { HOME: home }, nightshiftHome: nsHome, promptFile: f.prompt, tmpDir: join(nsHome, 'tmp1') };
    const out = await run(req, [
      'cat "$HOME/.ssh/id_ed25519" 2>/dev/null',
      `cat ${nsHome}/builds/other/secret.log 2>/dev/null`,
      `cat ${f.repo}/README.md 2>/dev/null || echo CHECKOUT-HIDDEN`,
      `echo shared > ${root}/cache/entry && echo SHARED-WRITTEN`,
      'echo work > file.txt && echo WORKTREE-WRITTEN',
    ].join('\n'));
    expect(out.stdout).not.toContain('PLANTED');
    expect(out.stdout).toContain('CHECKOUT-HIDDEN');
    expect(out.stdout).toContain('SHARED-WRITTEN');
    expect(out.stdout).toContain('WORKTREE-WRITTEN');
    expect(readFileSync(join(root, 'cache', 'entry'), 'utf8')).toBe('shared\n');
  });

  it('a command agent gets no CLI state; --no-network leaves only loopback', async () => {
    const f = fixture();
    const req = { mode: 'auto' as const, kind: 'command' as const, network: false, worktree: f.worktree, env: { HOME: f.home }, nightshiftHome: f.nsHome, promptFile: f.prompt, tmpDir: join(f.nsHome, 'tmp1') };
    const out = await run(req, 'mkdir -p "$HOME/.claude" 2>/dev/null; echo x > "$HOME/.claude/x" 2>/dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1');
    expect(out.stdout.trim().split(/\s+/)).toEqual(['lo']);
    expect(existsSync(join(f.home, '.claude', 'x'))).toBe(false);
  });

  it('limits file size', async () => {
    const f = fixture();
    const req = { mode: 'bwrap' as const, kind: 'command' as const, network: true, worktree: f.worktree, env: { HOME: f.home }, nightshiftHome: f.nsHome, promptFile: f.prompt, tmpDir: join(f.nsHome, 'tmp2'), limits: { processes: 64, openFiles: 64, fileSizeBytes: 1_000_000 } };
    const out = await run(req, 'head -c 5000000 /dev/zero > big; ls -l big | awk "{print \\$5}"; ulimit -n');
    expect(out.stdout.trim().split('\n')).toEqual(['1000000', '64']);
  });

  it('finds the repository git dir and checkout of a linked worktree', () => {
    const f = fixture();
    expect(gitDirs(f.worktree)).toEqual({ common: join(f.repo, '.git'), checkout: f.repo });
    expect(gitDirs(f.repo)).toBeUndefined();
  });
});
