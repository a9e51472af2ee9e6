import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { processAlive } from '../../src/activities/process';
import { readOwner } from '../../src/activities/owner';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { retryUpdate, skipUpdate, statusQuery } from '../../src/workflows/messages';
import { scenarioBuild, untilStatus } from '../support/builds';
import { addOrigin, branchHead, checkpointTrailers } from '../support/remote';
import { branchSubjects, gitIn, hasContent, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { exited, startWorkerProcess } from '../support/workerProcess';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

describe('hosts own workspaces, checkpoints are pushed, a lost host is taken over', () => {
  it('two hosts and an origin: the owner SIGKILLed during checkpoint 2, the other host takes over from the pushed checkpoint 1 and finishes', async () => {
    const dir = tempDir('hosts');
    const pidFile = join(dir, 'agent.pid');
    const scenario = writeJson(join(dir, 'scenario.json'), {
      rules: [{ when: { checkpoint: '2' }, times: 1, do: [{ pidFile }, { tick: { every: 300, count: 200, text: 'long work' } }] }],
    });
    const repo = makeRepo();
    const origin = addOrigin(repo);
    const taskQueue = env.taskQueue();
    const address = process.env.TEMPORAL_ADDRESS as string;
    const homes = { 'host-a': tempDir('home-a'), 'host-b': tempDir('home-b') };
    const workers = {
      'host-a': startWorkerProcess({ address, home: homes['host-a'], taskQueue, host: 'host-a' }),
      'host-b': startWorkerProcess({ address, home: homes['host-b'], taskQueue, host: 'host-b' }),
    };
    const label = `hosts-${Date.now()}`;
    const request = parseBuildRequest({
      label,
      repo,
      plan: samplePlan(3),
      agent: { kind: 'scripted', scenario },
      policy: { heartbeatTimeout: '3s', retryInterval: '1s', stallTimeout: '1m', hostTimeout: '5s' },
    });
    let orphan = 0;
    try {
      const handle = await startBuild(env.client, request, { taskQueue });
      await eventually(() => (hasContent(pidFile) ? true : undefined), 90_000, 'the agent of checkpoint 2 to start');
      orphan = Number(readFileSync(pidFile, 'utf8'));
      const before = await handle.query(statusQuery);
      const owner = before.host as keyof typeof workers;
      expect(Object.keys(workers)).toContain(owner);
      const other = owner === 'host-a' ? 'host-b' : 'host-a';
      // Checkpoint 1 is on the remote before checkpoint 2 starts, and status says so.
      const first = before.checkpoints[0];
      expect(first?.push).toMatchObject({ remote: 'origin', pushed: true, commit: first?.commit });
      expect(branchHead(origin, `nightshift/${label}`)).toBe(first?.commit);

      const killedAt = Date.now();
      workers[owner].kill('SIGKILL');
      await exited(workers[owner]);

      const result = await handle.result();
      expect(result.status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.host).toBe(other);
      expect(view.worktree).toBe(join(homes[other], 'workspaces', label));
      const takeover = view.devNotes.find((n) => n.category === 'discovery' && n.content.includes('took the build over'));
      expect(takeover?.content).toContain(`host ${owner} is gone`);
      expect(takeover?.content).toContain(`host ${other} took the build over (epoch 2) from origin nightshift/${label} at ${first?.commit?.slice(0, 10)}`);
      // Every checkpoint's commit is the one the remote has, exactly one per checkpoint, none twice.
      expect(view.checkpoints.map((c) => c.push?.pushed)).toEqual([true, true, true]);
      expect(branchHead(origin, `nightshift/${label}`)).toBe(view.checkpoints[2]?.commit);
      expect(checkpointTrailers(origin, `nightshift/${label}`)).toEqual(['3', '2', '1']);
      // The lost host's worktree is left as it was (epoch 1); the new owner's clone is epoch 2.
      expect(readOwner(join(homes[owner], 'workspaces', label))).toMatchObject({ host: owner, epoch: 1 });
      expect(readOwner(join(homes[other], 'workspaces', label))).toMatchObject({ host: other, epoch: 2 });
      const tookOverMs = Date.parse(takeover?.at ?? '') - killedAt;
      process.stderr.write(`failover: owner SIGKILLed -> build taken over by ${other} in ${(tookOverMs / 1000).toFixed(1)} s (heartbeat 3s, host timeout 5s); build finished ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill\n`);
    } finally {
      if (orphan && processAlive(orphan)) process.kill(-orphan, 'SIGKILL');
      for (const w of Object.values(workers)) {
        w.kill('SIGTERM');
        await exited(w);
      }
    }
  });

  it('a remote that is gone: the push is retried, then the person hears why; the local commit stays; retry pushes once the remote is back', async () => {
    const b = await scenarioBuild(env, { name: 'push-gone', checkpoints: 2 });
    const origin = addOrigin(b.repo);
    rmSync(origin, { recursive: true, force: true });
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.reason === 'push-failed', 'the push to the person', 90_000);
      expect(waiting.waiting?.message).toContain('(remote-gone)');
      expect(waiting.waiting?.message).toContain(`The commit stays in ${waiting.worktree}`);
      const cp1 = waiting.checkpoints[0];
      expect(cp1?.push).toMatchObject({ remote: 'origin', pushed: false, commit: cp1?.commit });
      expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-1: Step 1']);
      execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
      gitIn(b.repo, 'push', '-q', 'origin', 'main');
      await handle.executeUpdate(retryUpdate);
      const result = await handle.result();
      expect(result.status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.checkpoints.map((c) => c.push?.pushed)).toEqual([true, true]);
      expect(checkpointTrailers(origin, `nightshift/${b.label}`)).toEqual(['2', '1']);
    });
  });

  it('a rejected push (someone pushed to the branch): the person hears it at once; skip goes on without pushing and says so', async () => {
    const b = await scenarioBuild(env, { name: 'push-rejected', checkpoints: 1 });
    const origin = addOrigin(b.repo);
    // Someone else's commit on the build's branch on the remote, unrelated to the build's.
    const other = makeRepo();
    gitIn(other, 'commit', '-q', '--allow-empty', '-m', 'not the build');
    gitIn(other, 'push', '-q', origin, `HEAD:refs/heads/nightshift/${b.label}`);
    const theirs = branchHead(origin, `nightshift/${b.label}`);
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.reason === 'push-failed', 'the rejected push to the person', 60_000);
      expect(waiting.waiting?.message).toContain('(rejected)');
      expect(waiting.attempts).toEqual([]);
      await handle.executeUpdate(skipUpdate, { args: [{ note: 'the branch is shared; pushed by hand later' }] });
      const result = await handle.result();
      expect(result.status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.checkpoints[0]?.push).toMatchObject({ pushed: false, note: 'skip: the branch is shared; pushed by hand later' });
      expect(view.devNotes.map((n) => n.content)).toContainEqual(expect.stringContaining('was not pushed to origin'));
      // The remote branch is untouched (never forced) and the commit stays local.
      expect(branchHead(origin, `nightshift/${b.label}`)).toBe(theirs);
      expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-1: Step 1']);
      expect(existsSync(join(b.home, 'workspaces', b.label))).toBe(true);
    });
  });
});
