import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitCheckpoint } from '../../src/activities/git/commit';
import { checkOwner, readOwner } from '../../src/activities/git/owner';
import { HomeLayout } from '../../src/activities/paths';
import { pushCheckpoint, remoteHead } from '../../src/activities/git/push';
import { takeOverWorkspace } from '../../src/activities/git/takeover';
import { prepareWorkspace } from '../../src/activities/git/workspace';
import { addOrigin } from '../support/remote';
import { gitIn, makeRepo, tempDir } from '../support/repo';

/** Real git in temp dirs: the owner marker, the push and the takeover, without Temporal. */
describe('hosts: owner markers, pushes and takeovers', () => {
  it('prepareWorkspace on a host marks the worktree epoch 1 and finds the push remote; without a remote there is none', async () => {
    const repo = makeRepo();
    const origin = addOrigin(repo);
    const ws = await prepareWorkspace(new HomeLayout(tempDir('home')), { label: 'own', repo, remote: 'origin' }, 'host-a');
    expect(ws).toMatchObject({ host: 'host-a', epoch: 1, remote: { name: 'origin', url: origin } });
    expect(readOwner(ws.path)).toMatchObject({ label: 'own', host: 'host-a', epoch: 1 });
    // The marker lives next to the worktree, never in it: no commit can pick it up.
    expect(gitIn(ws.path, 'status', '--porcelain')).toBe('');
    const bare = await prepareWorkspace(new HomeLayout(tempDir('home')), { label: 'own', repo: makeRepo(), remote: 'origin' }, 'host-a');
    expect(bare.remote).toBeNull();
  });

  it('checkOwner refuses a worktree of another epoch or host, and one without a marker', async () => {
    const ws = await prepareWorkspace(new HomeLayout(tempDir('home')), { label: 'chk', repo: makeRepo() }, 'host-a');
    expect(() => checkOwner(ws.path, { label: 'chk', host: 'host-a', epoch: 1 })).not.toThrow();
    expect(() => checkOwner(ws.path, { label: 'chk', host: 'host-a', epoch: 2 })).toThrow(expect.objectContaining({ type: 'StaleWorkspace', nonRetryable: true }));
    expect(() => checkOwner(ws.path, { label: 'chk', host: 'host-b', epoch: 1 })).toThrow(/belongs to host host-a, epoch 1/);
    expect(() => checkOwner(tempDir('nomarker'), { label: 'chk', host: 'host-a', epoch: 1 })).toThrow(/has no owner marker/);
    expect(() => checkOwner(ws.path, undefined)).not.toThrow();
  });

  it('pushCheckpoint pushes, proves it with ls-remote, and is idempotent; a rejected push keeps the local commit and says why', async () => {
    const repo = makeRepo();
    const origin = addOrigin(repo);
    const ws = await prepareWorkspace(new HomeLayout(tempDir('home')), { label: 'push', repo, remote: 'origin' }, 'host-a');
    writeFileSync(join(ws.path, 'a.txt'), 'a\n');
    const c1 = await commitCheckpoint({ label: 'push', runId: 'r1', worktree: ws.path, checkpointId: '1', title: 'one' });
    const owner = { label: 'push', host: 'host-a', epoch: 1 };
    const input = { owner, worktree: ws.path, remote: 'origin', branch: ws.branch, commit: c1.commit };
    expect(await pushCheckpoint(input)).toEqual({ remoteCommit: c1.commit, pushed: true });
    expect(await pushCheckpoint(input)).toEqual({ remoteCommit: c1.commit, pushed: false });
    expect(await remoteHead(ws.path, 'origin', ws.branch)).toEqual({ commit: c1.commit });

    // Someone else moves the remote branch: the next push is rejected, never forced.
    // (its own commit: two fresh repos made in the same second have the same initial commit)
    const other = makeRepo();
    gitIn(other, 'commit', '-q', '--allow-empty', '-m', 'someone else');
    gitIn(other, 'push', '-q', '--force', origin, `HEAD:refs/heads/${ws.branch}`);
    writeFileSync(join(ws.path, 'b.txt'), 'b\n');
    const c2 = await commitCheckpoint({ label: 'push', runId: 'r1', worktree: ws.path, checkpointId: '2', title: 'two' });
    await expect(pushCheckpoint({ ...input, commit: c2.commit })).rejects.toMatchObject({ type: 'PushRejected', nonRetryable: true, message: expect.stringContaining('(rejected)') });
    expect(gitIn(ws.path, 'rev-parse', 'HEAD')).toBe(c2.commit);

    // A stale owner is refused before anything is pushed.
    await expect(pushCheckpoint({ ...input, owner: { ...owner, epoch: 2 } })).rejects.toMatchObject({ type: 'StaleWorkspace' });
  });

  it('a remote that is gone is retryable (remote-gone)', async () => {
    const repo = makeRepo();
    const ws = await prepareWorkspace(new HomeLayout(tempDir('home')), { label: 'gone', repo }, 'host-a');
    gitIn(repo, 'remote', 'add', 'origin', join(tempDir('nowhere'), 'missing.git'));
    const head = gitIn(ws.path, 'rev-parse', 'HEAD');
    await expect(pushCheckpoint({ worktree: ws.path, remote: 'origin', branch: ws.branch, commit: head })).rejects.toMatchObject({ type: 'PushRemoteGone', nonRetryable: false });
  });

  it('takeOverWorkspace clones the remote at the last pushed checkpoint (or the base), finds the run\'s commits, and never reuses a stale worktree', async () => {
    const repo = makeRepo();
    const origin = addOrigin(repo);
    const base = gitIn(repo, 'rev-parse', 'HEAD');
    const homeA = tempDir('home-a');
    const a = await prepareWorkspace(new HomeLayout(homeA), { label: 'tk', repo, remote: 'origin' }, 'host-a');
    const input = { label: 'tk', runId: 'run-1', branch: a.branch, baseCommit: base, remote: { name: 'origin', url: origin } };

    // Nothing pushed yet: host B starts from the base.
    const homeB = tempDir('home-b');
    const fromBase = await takeOverWorkspace(new HomeLayout(homeB), 'host-b', { ...input, epoch: 2 });
    expect(fromBase).toMatchObject({ host: 'host-b', epoch: 2, fromRemote: false, head: base, commits: {} });
    expect(gitIn(fromBase.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(a.branch);

    // Host A pushes checkpoint 1 and also has an unpushed file; then host B takes over again (epoch 3).
    writeFileSync(join(a.path, 'one.txt'), '1\n');
    const c1 = await commitCheckpoint({ label: 'tk', runId: 'run-1', worktree: a.path, checkpointId: '1', title: 'one' });
    await pushCheckpoint({ worktree: a.path, remote: 'origin', branch: a.branch, commit: c1.commit });
    writeFileSync(join(a.path, 'unpushed.txt'), 'lost\n');
    const taken = await takeOverWorkspace(new HomeLayout(homeB), 'host-b', { ...input, epoch: 3 });
    expect(taken).toMatchObject({ fromRemote: true, head: c1.commit, commits: { '1': c1.commit } });
    expect(existsSync(join(taken.path, 'one.txt'))).toBe(true);
    expect(existsSync(join(taken.path, 'unpushed.txt'))).toBe(false);
    expect(readOwner(taken.path)).toMatchObject({ host: 'host-b', epoch: 3 });
    // Idempotent: the same epoch again returns the same clone.
    writeFileSync(join(taken.path, 'work-in-progress.txt'), 'x\n');
    await takeOverWorkspace(new HomeLayout(homeB), 'host-b', { ...input, epoch: 3 });
    expect(existsSync(join(taken.path, 'work-in-progress.txt'))).toBe(true);

    // Host A comes back and is given the build at epoch 4: its epoch-1 worktree is replaced, not reused.
    const back = await takeOverWorkspace(new HomeLayout(homeA), 'host-a', { ...input, epoch: 4 });
    expect(back.path).toBe(a.path);
    expect(existsSync(join(back.path, 'unpushed.txt'))).toBe(false);
    expect(readOwner(back.path)).toMatchObject({ host: 'host-a', epoch: 4 });
    expect(() => checkOwner(back.path, { label: 'tk', host: 'host-a', epoch: 1 })).toThrow(/stale/);
  });
});
