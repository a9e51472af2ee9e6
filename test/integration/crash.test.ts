import { readFileSync } from "node:fs";
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { processAlive } from '../../src/activities/session/process';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { startDevServer } from '../../src/server/devServer';
import { freePort } from '../../src/server/ports';
import { createNightshiftWorker } from '../../src/worker/createWorker';
import { statusQuery } from '../../src/workflows/build/messages';
import { branchSubjects, hasContent, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { exited, startWorkerProcess } from '../support/workerProcess';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

const subjects = branchSubjects;

describe('crash safety', () => {
  it('a worker SIGKILLed mid-session: a new worker kills the orphaned agent and finishes with one commit per checkpoint', async () => {
    const dir = tempDir('crash');
    const pidFile = join(dir, 'agent.pid');
    const scenario = writeJson(join(dir, 'scenario.json'), {
      rules: [{ when: { checkpoint: '2' }, times: 1, do: [{ pidFile }, { tick: { every: 300, count: 200, text: 'long work' } }] }],
    });
    const repo = makeRepo();
    const home = tempDir('home');
    const taskQueue = env.taskQueue();
    const label = `crash-${Date.now()}`;
    const address = process.env.TEMPORAL_ADDRESS as string;
    const first = startWorkerProcess({ address, home, taskQueue });
    const request = parseBuildRequest({
      label,
      repo,
      plan: samplePlan(3),
      agent: { kind: 'scripted', scenario },
      policy: { heartbeatTimeout: '3s', retryInterval: '1s', stallTimeout: '1m' },
    });
    const handle = await startBuild(env.client, request, { taskQueue });
    await eventually(() => (hasContent(pidFile) ? true : undefined), 60_000, 'the agent of checkpoint 2 to start');
    const orphan = Number(readFileSync(pidFile, 'utf8'));

    first.kill('SIGKILL');
    await exited(first);
    // The dead worker could not clean up: its agent lives on as an orphan.
    expect(processAlive(orphan)).toBe(true);

    const second = startWorkerProcess({ address, home, taskQueue });
    try {
      const result = await handle.result();
      expect(result.status).toBe('completed');
      expect(processAlive(orphan)).toBe(false);
      const view = await handle.query(statusQuery);
      expect(view.attempts.map((a) => a.outcome)).toEqual(['worker-lost']);
      expect(subjects(repo, label)).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
      const transcripts = readFileSync(join(home, 'builds', label, 'sessions', 'session-003.log'), 'utf8');
      expect(transcripts).toContain(`killed process group ${orphan} left by session 2 of a lost worker`);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    expect(second.output()).toContain('nightshift worker stopped');
  });

  it('the dev server stopped mid-build and restarted on the same database: the build completes, across continue-as-new', async () => {
    const dir = tempDir('restart');
    const port = await freePort();
    const dbFile = join(dir, 'temporal.db');
    // Suggest continue-as-new after a few dozen events, so a 4-checkpoint build crosses runs.
    const serverOptions = { port, uiPort: await freePort(), ip: '127.0.0.1', dbFile, headless: true, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } };
    let server = await startDevServer(serverOptions);
    const address = server.address;
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const native = await NativeConnection.connect({ address });
    const taskQueue = env.taskQueue();
    const home = tempDir('home');
    const worker = await createNightshiftWorker({
      connection: native,
      namespace: 'default',
      home,
      taskQueue,
      workflowBundle: { codePath: process.env.NIGHTSHIFT_TEST_BUNDLE as string },
    });
    const repo = makeRepo();
    const label = `restart-${Date.now()}`;
    const scenario = writeJson(join(dir, 'scenario.json'), { otherwise: [{ tick: { every: 200, count: 5 } }, { edit: true }] });
    const request = parseBuildRequest({ label, repo, plan: samplePlan(4), agent: { kind: 'scripted', scenario }, policy: { retryInterval: '1s' } });
    try {
      await worker.runUntil(async () => {
        const handle = await startBuild(client, request, { taskQueue });
        await eventually(async () => ((await handle.query(statusQuery)).position.checkpoint === '2' ? true : undefined), 60_000, 'checkpoint 2');
        await server.stop();
        await new Promise((r) => setTimeout(r, 2000));
        server = await startDevServer(serverOptions);
        const result = await eventually(() => handle.result(), 120_000, 'the build to complete after the restart');
        expect(result.status).toBe('completed');
        const described = await client.workflow.getHandle(handle.workflowId).describe();
        expect(described.runId).not.toBe(handle.firstExecutionRunId);
      });
      expect(subjects(repo, label)).toEqual(['checkpoint-4: Step 4', 'checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
    } finally {
      await connection.close();
      await native.close();
      await server.stop();
    }
  });
});


