import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { statusQuery } from '../../src/workflows/build/messages';
import { createNightshiftWorker } from '../../src/worker/createWorker';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { interrupt, serverPort, type ServerProcess, startPostgresServer, temporalServerPid, untilReady } from '../support/postgresServer';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { eventually } from '../support/temporal';
import { exited } from '../support/workerProcess';

/**
 * Two Temporal server nodes on one PostgreSQL (different ports on 127.0.0.1) form one cluster: the
 * history shards and task queues are split between them. One node is SIGKILLed in the middle of
 * builds; the other takes its shards over and the builds finish with one commit per checkpoint.
 */
const figures: string[] = [];
let pg: TestPostgres | undefined;
const nodes: ServerProcess[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const node of nodes) if (node.exitCode === null && node.signalCode === null) await interrupt(node);
  pg?.stop();
  if (figures.length) process.stderr.write(`postgresCluster.test figures:\n  ${figures.join('\n  ')}\n`);
});

describe('two Temporal server nodes on one PostgreSQL', () => {
  it('builds finish when one node is killed mid-build', async () => {
    const db = pg as TestPostgres;
    const portA = await serverPort();
    const portB = await serverPort([portA]);
    const homeA = tempDir('node-a');
    const nodeA = startPostgresServer(db.url, portA, homeA);
    nodes.push(nodeA);
    await untilReady(nodeA, 15 * 60_000);
    const nodeB = startPostgresServer(db.url, portB, tempDir('node-b'));
    nodes.push(nodeB);
    await untilReady(nodeB, 5 * 60_000);

    // Node B's arrival moves shards and task queues over from node A; builds start once the shards'
    // owners (range_id, bumped on each takeover) have held still for a few seconds.
    const ranges = () => new Map(db.query('temporal', 'select shard_id, range_id from shards').map(([id, range]) => [id, Number(range)]));
    let last = JSON.stringify([...ranges()]);
    let stableSince = Date.now();
    const settleDeadline = Date.now() + 120_000;
    while (Date.now() - stableSince < 5_000 && Date.now() < settleDeadline) {
      await new Promise((r) => setTimeout(r, 500));
      const now = JSON.stringify([...ranges()]);
      if (now !== last) [last, stableSince] = [now, Date.now()];
    }

    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      /* installed by another test file in this jest worker */
    }
    // Client and worker talk to node B; node A is the one that dies (a load balancer would hide which).
    const address = `127.0.0.1:${portB}`;
    const connection = await Connection.connect({ address });
    const nativeConnection = await NativeConnection.connect({ address });
    try {
      const client = new Client({ connection });
      const taskQueue = `cluster-${Date.now()}`;
      const scenario = writeJson(join(tempDir('scenario'), 'scenario.json'), {
        rules: [{ when: { checkpoint: '2' }, do: [{ tick: { every: 500, count: 12, text: 'working' } }, { edit: true }] }],
      });
      // Several builds, so some of them live on history shards that node A owns.
      const builds = Array.from({ length: 4 }, (_, i) => ({ label: `cluster-${i}-${Date.now()}`, repo: makeRepo() }));
      const worker = await createNightshiftWorker({
        connection: nativeConnection,
        namespace: 'default',
        home: tempDir('cluster-worker-home'),
        taskQueue,
        workflowBundle: { codePath: process.env.NIGHTSHIFT_TEST_BUNDLE as string },
      });
      await worker.runUntil(async () => {
        const handles = await Promise.all(
          builds.map((b) =>
            startBuild(client, parseBuildRequest({ label: b.label, repo: b.repo, plan: samplePlan(3), agent: { kind: 'scripted', scenario }, policy: { stallTimeout: '2m', retryInterval: '1s' } }), { taskQueue }),
          ),
        );
        await eventually(async () => {
          const views = await Promise.all(handles.map((h) => h.query(statusQuery)));
          return views.every((v) => v.position.checkpoint === '2' || v.checkpoints[1]?.status === 'completed') ? true : undefined;
        }, 120_000, 'every build in checkpoint 2');

        const before = ranges();
        expect(before.size).toBe(4);
        const pid = temporalServerPid(homeA);
        expect(pid).toBeDefined();
        const killedAt = Date.now();
        process.kill(pid as number, 'SIGKILL');
        await exited(nodeA);
        expect(nodeA.output()).toContain('Temporal server exited unexpectedly (SIGKILL)');

        const results = await Promise.all(handles.map((h) => h.result()));
        // Node A owned shards (the two nodes were one cluster), and node B took them over.
        const after = ranges();
        const moved = [...before].filter(([id, range]) => (after.get(id) ?? 0) > range).length;
        expect(moved).toBeGreaterThan(0);
        figures.push(`node A SIGKILLed; ${moved} of 4 history shards moved to node B; all ${results.length} builds finished ${((Date.now() - killedAt) / 1000).toFixed(1)}s later`);
      });
      for (const b of builds) {
        expect(gitIn(b.repo, 'log', '--format=%s', `nightshift/${b.label}`).split('\n')).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1', 'initial']);
      }
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
  }, 25 * 60_000);
});
