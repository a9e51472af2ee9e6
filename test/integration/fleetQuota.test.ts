import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { quotaFile } from '../../src/activities/session/fleetQuota';
import { statusQuery } from '../../src/workflows/build/messages';
import { untilStatus } from '../support/builds';
import { makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv } from '../support/temporal';

/**
 * Fleet quota (issue 12): when one build's session hits the agent's usage limit, another build of the
 * same agent on the same host (worker home) parks until that reset without starting its agent, instead
 * of hitting the limit in turn; once the reset has passed both finish.
 */
let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env?.close();
});

it('a limit hit by one build parks the other build of the same agent on the host until the reset', async () => {
  const dir = tempDir('quota');
  const taskQueue = env.taskQueue();
  const { worker, home } = await env.worker({ taskQueue });
  const first = `quota-a-${process.pid}`;
  const second = `quota-b-${process.pid}`;
  const started = join(dir, 'second-started');
  const request = (label: string, scenario: unknown) =>
    parseBuildRequest({
      label,
      repo: makeRepo(),
      plan: samplePlan(1),
      agent: { kind: 'scripted', scenario: writeJson(join(dir, `${label}.json`), scenario) },
      policy: { maxAttempts: 2, retryInterval: '1s', stallTimeout: '1m' },
    });
  const limited = request(first, { rules: [{ times: 1, do: [{ fail: { class: 'rate-limited', message: 'usage limit reached', resetInSeconds: 8 } }] }] });
  const other = request(second, { rules: [{ do: [{ append: { path: started, content: 'session\n' } }, { edit: true }] }] });
  await worker.runUntil(async () => {
    const a = await startBuild(env.client, limited, { taskQueue });
    const parkedA = await untilStatus(a, (v) => v.status === 'rate-limited', 'first build parked');
    expect(parkedA.waiting?.message).toMatch(/^waiting for the scripted limit to reset at \d\d:\d\d UTC/);
    const record = JSON.parse(readFileSync(quotaFile(home, 'scripted'), 'utf8')) as { resetAt: string; label: string };
    expect(record.label).toBe(first);

    const b = await startBuild(env.client, other, { taskQueue });
    const parkedB = await untilStatus(b, (v) => v.status === 'rate-limited', 'second build parked');
    // Its agent never started: it waits for the same reset.
    expect(existsSync(started)).toBe(false);
    expect(parkedB.waiting?.message).toMatch(/^waiting for the scripted limit to reset at \d\d:\d\d UTC/);
    expect(parkedB.attempts.at(-1)?.error).toContain(`hit by build ${first} on this host`);

    await Promise.all([a.result(), b.result()]);
    const [doneA, doneB] = [await a.query(statusQuery), await b.query(statusQuery)];
    expect(doneA.status).toBe('completed');
    expect(doneB.status).toBe('completed');
    // The second build's agent ran only once, after the reset.
    expect(readFileSync(started, 'utf8')).toBe('session\n');
    const bParkedAt = doneB.attempts.find((x) => x.outcome === 'rate-limited')?.at as string;
    expect(Date.parse(record.resetAt)).toBeGreaterThan(Date.parse(bParkedAt));
  });
});

it('a running session of another build stops its agent and parks when the limit is hit', async () => {
  const dir = tempDir('quota');
  const taskQueue = env.taskQueue();
  const { worker } = await env.worker({ taskQueue });
  const [runner, limiter] = [`quota-run-${process.pid}`, `quota-hit-${process.pid}`];
  const request = (label: string, scenario: unknown) =>
    parseBuildRequest({
      label,
      repo: makeRepo(),
      plan: samplePlan(1),
      agent: { kind: 'scripted', scenario: writeJson(join(dir, `${label}.json`), scenario) },
      policy: { maxAttempts: 2, retryInterval: '1s', stallTimeout: '1m' },
    });
  // The first session runs for a minute (it would hit the limit itself); the next one is quick.
  const long = request(runner, { rules: [{ times: 1, do: [{ tick: { every: 500, count: 120, text: 'working' } }, { edit: true }] }] });
  const hits = request(limiter, { rules: [{ when: { session: 1 }, do: [{ fail: { class: 'rate-limited', message: 'usage limit reached', resetInSeconds: 6 } }] }] });
  await worker.runUntil(async () => {
    const r = await startBuild(env.client, long, { taskQueue });
    await untilStatus(r, (v) => (v.lastOutput ?? '').startsWith('working'), 'runner session running');
    const h = await startBuild(env.client, hits, { taskQueue });
    const parked = await untilStatus(r, (v) => v.status === 'rate-limited', 'runner parked', 20_000);
    expect(parked.attempts.at(-1)?.error).toContain(`hit by build ${limiter} on this host); the agent was stopped`);
    await Promise.all([r.result(), h.result()]);
    expect((await r.query(statusQuery)).status).toBe('completed');
  });
});
