import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitCheckpoint, findCheckpointCommit } from '../../src/activities/git/commit';
import { identityEnv } from '../../src/activities/git/git';
import { HomeLayout } from '../../src/activities/paths';
import { prepareWorkspace } from '../../src/activities/git/workspace';
import { gitIn, makeRepo, tempDir } from '../support/repo';

/** Real git in temp dirs; no Temporal needed for these activities' own guarantees. */
describe('workspace and commit activities', () => {
  it('prepareWorkspace makes a worktree on nightshift/<label>, leaves the checkout alone, and is idempotent', async () => {
    const repo = makeRepo();
    const layout = new HomeLayout(tempDir('home'));
    const first = await prepareWorkspace(layout, { label: 'feat', repo });
    expect(first.branch).toBe('nightshift/feat');
    expect(gitIn(first.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('nightshift/feat');
    expect(gitIn(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    const again = await prepareWorkspace(layout, { label: 'feat', repo });
    expect(again).toEqual(first);
  });

  it('prepareWorkspace recreates a worktree deleted by hand (still registered in git) on its branch', async () => {
    const repo = makeRepo();
    const layout = new HomeLayout(tempDir('home'));
    const first = await prepareWorkspace(layout, { label: 'gone', repo });
    writeFileSync(join(first.path, 'work.txt'), 'kept on the branch\n');
    gitIn(first.path, 'add', '.');
    gitIn(first.path, 'commit', '-q', '-m', 'work');
    rmSync(first.path, { recursive: true, force: true });
    const again = await prepareWorkspace(layout, { label: 'gone', repo });
    expect(again.path).toBe(first.path);
    expect(gitIn(again.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('nightshift/gone');
    expect(existsSync(join(again.path, 'work.txt'))).toBe(true);
  });

  it('refuses a directory that is not a git repository, without retrying', async () => {
    await expect(prepareWorkspace(new HomeLayout(tempDir('home')), { label: 'x', repo: tempDir('plain') })).rejects.toMatchObject({
      type: 'InvalidRepo',
      nonRetryable: true,
    });
  });

  it('commitCheckpoint run twice makes one commit: the second finds its own trailers', async () => {
    const repo = makeRepo();
    const ws = await prepareWorkspace(new HomeLayout(tempDir('home')), { label: 'idem', repo });
    writeFileSync(join(ws.path, 'feature.txt'), 'work\n');
    const input = { label: 'idem', runId: 'run-1', worktree: ws.path, checkpointId: '1', title: 'First step' };
    const first = await commitCheckpoint(input);
    const second = await commitCheckpoint(input);
    expect(first.created).toBe(true);
    expect(second).toEqual({ commit: first.commit, created: false, files: [{ status: 'A', path: 'feature.txt' }] });
    expect(first.files).toEqual(second.files);
    expect(gitIn(repo, 'log', '--format=%s', 'main..nightshift/idem')).toBe('checkpoint-1: First step');
    expect(await findCheckpointCommit(ws.path, 'run-1', '1')).toBe(first.commit);
    // Another run of the same label (a new build) commits its own checkpoint 1.
    expect(await findCheckpointCommit(ws.path, 'run-2', '1')).toBeUndefined();
    const other = await commitCheckpoint({ ...input, runId: 'run-2' });
    expect(other.created).toBe(true);
  });

  it('commits an empty checkpoint too, so every checkpoint has exactly one commit', async () => {
    const repo = makeRepo();
    const ws = await prepareWorkspace(new HomeLayout(tempDir('home')), { label: 'empty', repo });
    const r = await commitCheckpoint({ label: 'empty', runId: 'r', worktree: ws.path, checkpointId: '7', title: 'Nothing to do' });
    expect(r.created).toBe(true);
    expect(gitIn(repo, 'log', '-1', '--format=%s%n%b', 'nightshift/empty')).toBe(
      'checkpoint-7: Nothing to do\nNightshift-Build: empty\nNightshift-Run: r\nNightshift-Checkpoint: 7',
    );
    expect(existsSync(join(ws.path, 'README.md'))).toBe(true);
  });

  it('commits as Nightshift only where git has no identity, per key (one git process reads both)', async () => {
    const repo = makeRepo();
    // No global or system config (makeRepo's identity came from the environment): the repo's own config is all there is.
    const isolated = { HOME: tempDir('empty-home'), GIT_CONFIG_NOSYSTEM: '1', XDG_CONFIG_HOME: tempDir('xdg') };
    const saved = { ...process.env };
    Object.assign(process.env, isolated);
    try {
      expect(await identityEnv(repo)).toEqual({
        GIT_AUTHOR_EMAIL: 'nightshift@localhost',
        GIT_COMMITTER_EMAIL: 'nightshift@localhost',
        GIT_AUTHOR_NAME: 'Nightshift',
        GIT_COMMITTER_NAME: 'Nightshift',
      });
      gitIn(repo, 'config', 'user.name', 'Ada');
      expect(await identityEnv(repo)).toEqual({ GIT_AUTHOR_EMAIL: 'nightshift@localhost', GIT_COMMITTER_EMAIL: 'nightshift@localhost' });
      gitIn(repo, 'config', 'user.email', 'ada@example.com');
      expect(await identityEnv(repo)).toEqual({});
    } finally {
      process.env = saved;
    }
  });
});
