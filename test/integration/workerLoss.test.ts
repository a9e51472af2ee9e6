import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../../src/activities/session/process';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import { statusQuery } from '../../src/workflows/build/messages';
import { recordHistory } from '../support/histories';
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

/**
 * A lost worker is not a failed attempt. Every build and loop here has a one-hour retry interval:
 * had the lost session spent an attempt, it would wait there and the test would time out.
 */
const policy = { heartbeatTimeout: '3s', retryInterval: '1h', stallTimeout: '1m' };

/** SIGTERM, and the worker must be gone within 30 s: a shutdown that hangs fails the test, with its output, instead of hanging it. */
async function stop(worker: ReturnType<typeof startWorkerProcess>): Promise<void> {
  worker.kill('SIGTERM');
  const gone = await Promise.race([exited(worker).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000).unref())]);
  if (gone) return;
  worker.kill('SIGKILL');
  await exited(worker);
  throw new Error(`the worker did not stop within 30 s of SIGTERM:\n${worker.output().slice(-3000)}`);
}

/** Checkpoint 2's first session writes its pid and then works for a minute, long enough to be cut off. */
function longSecondCheckpoint(dir: string): { scenario: string; pidFile: string } {
  const pidFile = join(dir, 'agent.pid');
  const scenario = writeJson(join(dir, 'scenario.json'), {
    rules: [{ when: { checkpoint: '2' }, times: 1, do: [{ pidFile }, { tick: { every: 300, count: 200, text: 'long work' } }] }],
  });
  return { scenario, pidFile };
}

async function threeCheckpointBuild(name: string) {
  const dir = tempDir(name);
  const { scenario, pidFile } = longSecondCheckpoint(dir);
  const repo = makeRepo();
  const label = `${name}-${process.pid}-${Date.now() % 100000}`;
  const request = parseBuildRequest({ label, repo, plan: samplePlan(3), agent: { kind: 'scripted', scenario }, policy });
  return { repo, label, request, pidFile, home: tempDir('home'), taskQueue: env.taskQueue() };
}

describe('a lost worker is not a failed attempt', () => {
  it('a worker SIGKILLed mid-session: the session runs again on a new worker, no attempt spent, one commit per checkpoint', async () => {
    const b = await threeCheckpointBuild('lost');
    const address = process.env.TEMPORAL_ADDRESS as string;
    const first = startWorkerProcess({ address, home: b.home, taskQueue: b.taskQueue });
    const handle = await startBuild(env.client, b.request, { taskQueue: b.taskQueue });
    await eventually(() => (hasContent(b.pidFile) ? true : undefined), 60_000, 'the agent of checkpoint 2 to start');
    const orphan = Number(readFileSync(b.pidFile, 'utf8'));
    first.kill('SIGKILL');
    await exited(first);

    const second = startWorkerProcess({ address, home: b.home, taskQueue: b.taskQueue });
    try {
      expect((await handle.result()).status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.checkpoints.flatMap((c) => c.taskGroups.map((g) => g.attempts))).toEqual([0, 0, 0]);
      expect(view.attempts.map((a) => a.outcome)).toEqual(['worker-lost']);
      expect(view.sessions).toBe(4);
      expect(processAlive(orphan)).toBe(false);
      await recordHistory(handle, 'worker-lost');
    } finally {
      await stop(second);
    }
    expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  });

  it('a worker stopped gracefully (SIGTERM) mid-session hands the session over: nothing recorded, nothing spent', async () => {
    const b = await threeCheckpointBuild('handover');
    const address = process.env.TEMPORAL_ADDRESS as string;
    const first = startWorkerProcess({ address, home: b.home, taskQueue: b.taskQueue });
    const handle = await startBuild(env.client, b.request, { taskQueue: b.taskQueue });
    await eventually(() => (hasContent(b.pidFile) ? true : undefined), 60_000, 'the agent of checkpoint 2 to start');
    const agent = Number(readFileSync(b.pidFile, 'utf8'));
    await stop(first);
    // The worker killed its agent on the way out, and said so in the transcript.
    expect(processAlive(agent)).toBe(false);
    expect(readFileSync(join(b.home, 'builds', b.label, 'sessions', 'session-002.log'), 'utf8')).toContain('(worker shutting down)');

    const second = startWorkerProcess({ address, home: b.home, taskQueue: b.taskQueue });
    try {
      expect((await handle.result()).status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.checkpoints.flatMap((c) => c.taskGroups.map((g) => g.attempts))).toEqual([0, 0, 0]);
      expect(view.attempts).toEqual([]);
      expect(view.sessions).toBe(4);
    } finally {
      await stop(second);
    }
    expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  });

  it.each([['SIGKILL', 'stopped answering'] as const, ['SIGTERM', null] as const])('a loop whose worker gets %s mid-session runs the same session again on a new worker, no attempt spent', async (signal, lastError) => {
    const dir = tempDir(`loop-${signal}`);
    const pidFile = join(dir, 'agent.pid');
    const scenario = writeJson(join(dir, 'scenario.json'), {
      rules: [{ times: 1, do: [{ pidFile }, { tick: { every: 300, count: 200, text: 'long work' } }] }],
      otherwise: [{ append: { path: 'notes.txt', content: 'done\n' } }, { print: '<promise>DONE</promise>' }],
    });
    const repo = makeRepo();
    const home = tempDir('home');
    const taskQueue = env.taskQueue();
    const taskName = `lost-${signal.toLowerCase()}-${process.pid}-${Date.now() % 100000}`;
    const request = parseLoopRequest({
      taskName,
      task: 'Build a tiny todo API',
      repo,
      mode: 'lightweight',
      maxSessions: 1,
      agent: { kind: 'scripted', scenario },
      policy: { ...policy, maxAttempts: 1 },
    });
    const address = process.env.TEMPORAL_ADDRESS as string;
    const first = startWorkerProcess({ address, home, taskQueue });
    const handle = await startLoop(env.client, request, { taskQueue });
    await eventually(() => (hasContent(pidFile) ? true : undefined), 60_000, 'the loop agent to start');
    if (signal === 'SIGTERM') await stop(first);
    else {
      first.kill(signal);
      await exited(first);
    }

    const second = startWorkerProcess({ address, home, taskQueue });
    try {
      // One attempt allowed: had the loss spent it, the loop would be waiting for a person instead.
      const done = await handle.result();
      expect(done).toMatchObject({ status: 'completed', sessions: 1, attempts: 0, waiting: null });
      // A lost worker is recorded as the last error; a hand-over records nothing.
      if (lastError) expect(done.lastError).toContain(lastError);
      else expect(done.lastError).toBeNull();
    } finally {
      await stop(second);
    }
    expect(gitIn(repo, 'log', '--format=%s').split('\n')[0]).toBe('session-1: declared completion');
  });
});
