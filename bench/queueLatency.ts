import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { enqueue, queueView, setQueuePolicy } from '../src/client/queue';
import { queueWorkflowId } from '../src/workflows/queue/messages';
import { makeRepo, median, percentile } from './buildBench';

/**
 * Enqueue-to-agent-start latency: how long after `nightshift add` a queued build's agent is running.
 * Seed 002 started builds at its next 30-minute heartbeat: up to 1,800 s, 900 s on average.
 */
export interface QueueLatencyOptions {
  /** A client of the server that the worker polls. */
  client: Client;
  /** The task queue of a running Nightshift worker (the caller keeps it up, e.g. inside `worker.runUntil`). */
  taskQueue: string;
  /** Builds to measure, one after another on an idle queue (default 20). */
  builds?: number;
  /** The queue to use (default: a fresh `bench-<time>` queue, so nothing else is waiting in it). */
  queue?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface QueueLatencyResult {
  /** From the `enqueue` update returning (what `add` prints) to the agent's first action. */
  median_ms: number;
  p95_ms: number;
  n: number;
  /** From the `enqueue` call being sent (includes the update's round trip). */
  request_median_ms: number;
  request_p95_ms: number;
  /** Seed 002's heartbeat: a build waits up to 30 minutes, 15 on average. */
  baseline_avg_ms: number;
  baseline_max_ms: number;
  /** baseline_avg_ms / request_median_ms. */
  speedup: number;
}

const HEARTBEAT_MS = 30 * 60_000;

const plan = {
  title: 'queue latency',
  checkpoints: [{ id: 1, title: 'One', goal: 'nothing', task_groups: [{ id: '1.1', title: 'g', tasks: [{ id: '1.1.1', description: 'nothing' }] }], testing_strategy: { verification_steps: ['true'] } }],
};

async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Queues `builds` one-checkpoint builds one at a time (each after the previous one finished, so a slot
 * is always free) and times each from `enqueue` to the scripted agent's first action: the agent's
 * scenario writes a stamp file first, whose modification time is when the agent started working.
 */
export async function benchQueueLatency(opts: QueueLatencyOptions): Promise<QueueLatencyResult> {
  const n = opts.builds ?? 20;
  const queue = opts.queue ?? `bench-${Date.now()}`;
  const target = { queue, taskQueue: opts.taskQueue };
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-queue-'));
  const repo = makeRepo(dir);
  await setQueuePolicy(opts.client, { concurrency: 1, timeZone: 'UTC' }, target);
  const fromReturn: number[] = [];
  const fromRequest: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = `latency-${Date.now()}-${i}`;
    const stamp = join(dir, `${label}.started`);
    const scenario = join(dir, `${label}.json`);
    writeFileSync(scenario, JSON.stringify({ otherwise: [{ write: { path: stamp, content: 'started' } }] }));
    const sent = Date.now();
    const answer = await enqueue(
      opts.client,
      {
        entry: {
          label,
          name: `Latency probe ${i}`,
          description: 'Measure how quickly a queued build starts its coding agent after being added',
          criteria: ['The agent wrote its start stamp'],
          addedAt: new Date(sent).toISOString(),
          repo,
          kind: 'plan',
          plan,
        },
        agent: { kind: 'scripted', scenario },
      },
      target,
    );
    const returned = Date.now();
    if (!answer.building) throw new Error(`${label} did not start at once: ${answer.reasons.join('; ')}`);
    const started = await waitFor(() => (existsSync(stamp) ? statSync(stamp).mtimeMs : undefined), `the agent of ${label}`);
    fromReturn.push(Math.max(0, started - returned));
    fromRequest.push(started - sent);
    await waitFor(async () => ((await queueView(opts.client, queue)).recent.some((c) => c.label === label) ? true : undefined), `${label} to finish`);
    opts.log?.(`build ${i + 1}/${n}: agent started ${Math.round(started - sent)} ms after enqueue (${Math.round(started - returned)} ms after it returned)`);
  }
  await opts.client.workflow.getHandle(queueWorkflowId(queue)).terminate('benchmark over').catch(() => undefined);
  const requestMedian = median(fromRequest);
  return {
    median_ms: Math.round(median(fromReturn)),
    p95_ms: Math.round(percentile(fromReturn, 95)),
    n,
    request_median_ms: Math.round(requestMedian),
    request_p95_ms: Math.round(percentile(fromRequest, 95)),
    baseline_avg_ms: HEARTBEAT_MS / 2,
    baseline_max_ms: HEARTBEAT_MS,
    speedup: Math.round(HEARTBEAT_MS / 2 / Math.max(1, requestMedian)),
  };
}
