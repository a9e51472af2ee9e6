/**
 * Many builds on one worker: `builds` queued at once into a queue of that concurrency, each of
 * `checkpoints` checkpoints whose agent prints a line every second for `ticks` seconds. The worker is
 * a real `nightshift worker` process; its VmRSS is sampled from /proc every 500 ms. Measured: all
 * complete with one commit per checkpoint, RSS peak, wall time against one build alone, and the delay
 * from a slot opening to the build's first agent start. Every slot is open when the enqueues are sent
 * (concurrency = builds), so that delay runs from the `enqueue` call; the part of it after the queue
 * started the build (the build workflow's start time) is measured too.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { enqueue, setQueuePolicy } from '../src/client/queue';
import { queueWorkflowId } from '../src/workflows/queue/messages';
import { makeRepo, median, percentile } from './buildBench';
import { type WorkerTuning, workerTuning } from '../src/worker/tuning';

const CLI = join(__dirname, '..', 'src', 'client', 'index.js');

export interface ScaleOptions {
  client: Client;
  address: string;
  /** A prebuilt workflow bundle for the worker process. */
  bundle: string;
  builds: number;
  checkpoints: number;
  ticks: number;
  /** Extra environment for the worker (tuning knobs). */
  workerEnv?: Record<string, string>;
  log: (line: string) => void;
}

export interface ScaleResult {
  builds: number;
  checkpoints: number;
  ticks: number;
  completed: number;
  /** Builds whose branch has exactly one commit per checkpoint. */
  oneCommitPerCheckpoint: number;
  rssPeakMb: number;
  rssIdleMb: number;
  aloneMs: number;
  allMs: number;
  /** allMs / aloneMs: 1 would be perfect parallelism. */
  slowdown: number;
  /** From the `enqueue` call (its slot is open) to the build's first agent start. */
  slotToAgentMedianMs: number;
  slotToAgentP95Ms: number;
  /** From the build workflow's start (the queue admitted it) to its first agent start. */
  startedToAgentMedianMs: number;
  startedToAgentP95Ms: number;
  /** The worker's cache and slots (src/worker/tuning.ts; NIGHTSHIFT_MAX_* in the bench's environment reach it). */
  tuning: WorkerTuning;
}

function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function startWorker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      out = `${out}${d.toString()}`.slice(-20_000);
      if (out.includes('nightshift worker:')) resolve();
    });
    child.once('exit', () => reject(new Error(`the worker exited:\n${out}`)));
  });
  return { child, ready };
}

async function waitFor<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const plan = (n: number) => ({
  title: 'scale',
  checkpoints: Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    title: `Checkpoint ${i + 1}`,
    goal: 'g',
    task_groups: [{ id: `${i + 1}.1`, title: 'g', tasks: [{ id: `${i + 1}.1.1`, description: 't' }] }],
    testing_strategy: { verification_steps: ['true'] },
  })),
});

/** Enqueues `count` builds at once; resolves when all ended, with each one's enqueue-to-agent delay. */
async function wave(o: ScaleOptions, taskQueue: string, count: number, tag: string): Promise<{ ms: number; delays: number[]; afterStart: number[]; completed: number; exact: number }> {
  const queue = `scale-${tag}-${Date.now()}`;
  const target = { queue, taskQueue };
  await setQueuePolicy(o.client, { concurrency: count, timeZone: 'UTC' }, target);
  const root = mkdtempSync(join(tmpdir(), `ns-bench-scale-${tag}-`));
  const started = performance.now();
  const entries = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const dir = join(root, `b${i}`);
      mkdirSync(dir, { recursive: true });
      const stamp = join(dir, 'started');
      const scenario = join(dir, 'scenario.json');
      const tick = { tick: { every: 1000, count: o.ticks, text: 'working' } };
      writeFileSync(scenario, JSON.stringify({ rules: [{ when: { checkpoint: '1' }, times: 1, do: [{ write: { path: stamp, content: 'x' } }, tick, { edit: true }] }], otherwise: [tick, { edit: true }] }));
      const repo = makeRepo(dir);
      const label = `scale-${tag}-${i}-${Date.now() % 100000}`;
      const entry = { label, name: `Scale ${i}`, description: 'Many builds at once on one worker', criteria: ['Every checkpoint has its commit on the build branch'], addedAt: new Date().toISOString(), repo, kind: 'plan' as const, plan: plan(o.checkpoints) };
      const sent = Date.now();
      const answer = await enqueue(o.client, { entry, agent: { kind: 'scripted', scenario }, policy: { stallTimeout: '2m' } }, target);
      if (!answer.building || !answer.workflowId) throw new Error(`${label} waits: ${answer.reasons.join('; ')}`);
      return { label, repo, stamp, sent, workflowId: answer.workflowId };
    }),
  );
  const results = await Promise.all(entries.map((e) => o.client.workflow.getHandle(e.workflowId).result().then((r: { status: string }) => r.status, (err: unknown) => `error: ${String(err)}`)));
  const ms = performance.now() - started;
  const stamps = await Promise.all(entries.map((e) => waitFor(() => (existsSync(e.stamp) ? statSync(e.stamp).mtimeMs : undefined), 'a stamp', 5000)));
  const delays = entries.map((e, i) => (stamps[i] as number) - e.sent);
  const starts = await Promise.all(entries.map(async (e) => (await o.client.workflow.getHandle(e.workflowId).describe()).startTime.getTime()));
  const afterStart = starts.map((t, i) => Math.max(0, (stamps[i] as number) - t));
  const exact = entries.filter((e) => Number(execFileSync('git', ['rev-list', '--count', `main..nightshift/${e.label}`], { cwd: e.repo, encoding: 'utf8' }).trim()) === o.checkpoints).length;
  await o.client.workflow.getHandle(queueWorkflowId(queue)).terminate('benchmark over').catch(() => undefined);
  return { ms, delays, afterStart, completed: results.filter((s) => s === 'completed').length, exact };
}

export async function benchScale(o: ScaleOptions): Promise<ScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-scale-'));
  const taskQueue = `bench-scale-${Date.now()}`;
  const w = startWorker({ TEMPORAL_ADDRESS: o.address, NIGHTSHIFT_HOME: join(dir, 'home'), NIGHTSHIFT_TASK_QUEUE: taskQueue, NIGHTSHIFT_WORKFLOW_BUNDLE: o.bundle, ...(o.workerEnv ?? {}) });
  await w.ready;
  const pid = w.child.pid as number;
  await new Promise((r) => setTimeout(r, 1000));
  const rssIdleMb = rssMb(pid) ?? 0;
  let peak = rssIdleMb;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid) ?? 0);
  }, 500);
  try {
    o.log(`scale: one build alone (${o.checkpoints} checkpoints, ${o.ticks} s of output each) ...`);
    const alone = await wave(o, taskQueue, 1, 'alone');
    o.log(`scale: ${Math.round(alone.ms)} ms alone; now ${o.builds} at once ...`);
    const all = await wave(o, taskQueue, o.builds, 'all');
    o.log(`scale: ${o.builds} builds in ${Math.round(all.ms)} ms, ${all.completed} completed, RSS peak ${Math.round(peak)} MB`);
    return {
      builds: o.builds,
      checkpoints: o.checkpoints,
      ticks: o.ticks,
      completed: all.completed,
      oneCommitPerCheckpoint: all.exact,
      rssPeakMb: Math.round(peak),
      rssIdleMb: Math.round(rssIdleMb),
      aloneMs: Math.round(alone.ms),
      allMs: Math.round(all.ms),
      slowdown: Number((all.ms / alone.ms).toFixed(2)),
      slotToAgentMedianMs: Math.round(median(all.delays)),
      slotToAgentP95Ms: Math.round(percentile(all.delays, 95)),
      startedToAgentMedianMs: Math.round(median(all.afterStart)),
      startedToAgentP95Ms: Math.round(percentile(all.afterStart, 95)),
      tuning: workerTuning({ ...process.env, ...(o.workerEnv ?? {}) }),
    };
  } finally {
    clearInterval(sampler);
    w.child.kill('SIGTERM');
    await new Promise((r) => w.child.once('exit', r));
  }
}
