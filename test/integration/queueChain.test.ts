import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { enqueue, setQueuePolicy } from '../../src/client/queue';
import type { QueueEntryInput } from '../../src/model/queueEntry';
import { type EnqueueRequest, queueQuery, queueWorkflowId } from '../../src/workflows/queue/messages';
import type { QueueView } from '../../src/workflows/queue/state';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv, eventually } from '../support/temporal';

/**
 * `add --after LABEL` (issue 12): with room for both, the chained entry still waits until LABEL has
 * completed, says so in the queue's view, then branches from nightshift/<LABEL>: its branch holds
 * LABEL's commits (git merge-base --is-ancestor), so the work stacks.
 */
let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env?.close();
});

it('a chained entry starts after its LABEL completed, from its branch', async () => {
  const taskQueue = env.taskQueue();
  const { worker } = await env.worker({ taskQueue });
  const queue = `chain${process.pid}-${Date.now() % 100000}`;
  const target = { queue, taskQueue };
  const repo = makeRepo();
  const dir = tempDir('chain');
  const request = (label: string, extra: Partial<QueueEntryInput>, scenario: unknown): EnqueueRequest => ({
    entry: {
      label,
      name: label,
      description: `Build the ${label} module as a small Python script that reads a file and writes a summary report`,
      criteria: [`${label} summary written`],
      priority: 'high',
      addedAt: new Date().toISOString(),
      repo,
      kind: 'plan',
      plan: samplePlan(2),
      ...extra,
    },
    agent: { kind: 'scripted', scenario: writeJson(join(dir, `${label}.json`), scenario) },
    policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '1m' },
  });
  const view = () => env.client.workflow.getHandle(queueWorkflowId(queue)).query(queueQuery);
  const until = (pred: (v: QueueView) => boolean, what: string) =>
    eventually(async () => {
      const v = await view();
      return pred(v) ? v : undefined;
    }, 90_000, what);
  const a = `base-${process.pid}`;
  const b = `stacked-${process.pid}`;
  await worker.runUntil(async () => {
    await setQueuePolicy(env.client, { timeZone: 'UTC', concurrency: 2 }, target);
    await enqueue(env.client, request(a, {}, { rules: [{ do: [{ sleep: 1500 }, { edit: true }] }] }), target);
    const answer = await enqueue(env.client, request(b, { after: a }, { rules: [] }), target);
    expect(answer.building).toBe(false);
    expect(answer.reasons).toEqual([`waits for "${a}" to complete (building now)`]);
    const waiting = await view();
    expect(waiting.active.map((x) => x.label)).toEqual([a]);
    expect(waiting.waiting.find((w) => w.label === b)).toMatchObject({ after: a, reasons: [{ code: 'after' }] });
    const done = await until((v) => v.recent.some((c) => c.label === b), `${b} finished`);
    const [first, second] = [done.recent.find((c) => c.label === a), done.recent.find((c) => c.label === b)];
    expect(first?.outcome).toBe('completed');
    expect(second?.outcome).toBe('completed');
    expect(Date.parse(second?.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(first?.finishedAt as string));
  });
  // The stacked branch contains the first build's work, and starts where it ended.
  expect(spawnSync('git', ['-C', repo, 'merge-base', '--is-ancestor', `nightshift/${a}`, `nightshift/${b}`]).status).toBe(0);
  expect(gitIn(repo, 'rev-parse', `nightshift/${b}~2`)).toBe(gitIn(repo, 'rev-parse', `nightshift/${a}`));
  expect(gitIn(repo, 'log', '--format=%s', `main..nightshift/${b}`).split('\n')).toHaveLength(4);
});
