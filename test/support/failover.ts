import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { processAlive } from '../../src/activities/session/process';
import { readOwner } from '../../src/activities/git/owner';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { statusQuery } from '../../src/workflows/build/messages';
import { addOrigin, branchHead, checkpointTrailers } from './remote';
import { hasContent, makeRepo, samplePlan, tempDir, writeJson } from './repo';
import { eventually } from './temporal';
import { exited, startWorkerProcess } from './workerProcess';

/**
 * Issue 9's failover scenario on any Temporal server: two `nightshift worker` processes from dist/ as
 * hosts a and b (own NIGHTSHIFT_HOME each), a bare `origin`, a 3-checkpoint build; the owner is
 * SIGKILLed while checkpoint 2's agent runs; the other host must take over and finish. Asserts with
 * jest's expect; returns the measured figure.
 */
export async function failoverScenario(client: Client, address: string): Promise<string> {
  const dir = tempDir('hosts');
  const pidFile = join(dir, 'agent.pid');
  const scenario = writeJson(join(dir, 'scenario.json'), {
    rules: [{ when: { checkpoint: '2' }, times: 1, do: [{ pidFile }, { tick: { every: 300, count: 200, text: 'long work' } }] }],
  });
  const repo = makeRepo();
  const origin = addOrigin(repo);
  const taskQueue = `hosts-${process.pid}-${Date.now()}`;
  const homes = { 'host-a': tempDir('home-a'), 'host-b': tempDir('home-b') };
  const workers = {
    'host-a': startWorkerProcess({ address, home: homes['host-a'], taskQueue, host: 'host-a' }),
    'host-b': startWorkerProcess({ address, home: homes['host-b'], taskQueue, host: 'host-b' }),
  };
  const label = `hosts-${Date.now()}`;
  const branch = `nightshift/${label}`;
  const request = parseBuildRequest({
    label,
    repo,
    plan: samplePlan(3),
    agent: { kind: 'scripted', scenario },
    policy: { heartbeatTimeout: '3s', retryInterval: '1s', stallTimeout: '1m', hostTimeout: '5s' },
  });
  let orphan = 0;
  try {
    const handle = await startBuild(client, request, { taskQueue });
    await eventually(() => (hasContent(pidFile) ? true : undefined), 120_000, 'the agent of checkpoint 2 to start');
    orphan = Number(readFileSync(pidFile, 'utf8'));
    const before = await handle.query(statusQuery);
    const owner = before.host as keyof typeof workers;
    expect(Object.keys(workers)).toContain(owner);
    const other = owner === 'host-a' ? 'host-b' : 'host-a';
    // Checkpoint 1 is on the remote before checkpoint 2 starts, and status says so.
    const first = before.checkpoints[0];
    expect(first?.push).toMatchObject({ remote: 'origin', pushed: true, commit: first?.commit });
    expect(branchHead(origin, branch)).toBe(first?.commit);

    const killedAt = Date.now();
    workers[owner].kill('SIGKILL');
    await exited(workers[owner]);

    const result = await handle.result();
    const finishedAt = Date.now();
    expect(result.status).toBe('completed');
    const view = await handle.query(statusQuery);
    expect(view.host).toBe(other);
    expect(view.worktree).toBe(join(homes[other], 'workspaces', label));
    const takeover = view.devNotes.find((n) => n.category === 'discovery' && n.content.includes('took the build over'));
    expect(takeover?.content).toContain(`host ${owner} is gone`);
    expect(takeover?.content).toContain(`host ${other} took the build over (epoch 2) from origin ${branch} at ${first?.commit?.slice(0, 10)}`);
    // Every checkpoint's commit is the one the remote has: exactly one per checkpoint, none twice.
    expect(view.checkpoints.map((c) => c.push?.pushed)).toEqual([true, true, true]);
    expect(branchHead(origin, branch)).toBe(view.checkpoints[2]?.commit);
    expect(checkpointTrailers(origin, branch)).toEqual(['3', '2', '1']);
    // The lost host's worktree is left as it was (epoch 1); the new owner's clone is epoch 2.
    expect(readOwner(join(homes[owner], 'workspaces', label))).toMatchObject({ host: owner, epoch: 1 });
    expect(readOwner(join(homes[other], 'workspaces', label))).toMatchObject({ host: other, epoch: 2 });
    const tookOver = (Date.parse(takeover?.at ?? '') - killedAt) / 1000;
    return `owner SIGKILLed -> taken over by ${other} in ${tookOver.toFixed(1)} s (heartbeat 3s, host timeout 5s); build finished ${((finishedAt - killedAt) / 1000).toFixed(1)} s after the kill`;
  } finally {
    if (orphan && processAlive(orphan)) process.kill(-orphan, 'SIGKILL');
    for (const w of Object.values(workers)) {
      w.kill('SIGTERM');
      await exited(w);
    }
  }
}
