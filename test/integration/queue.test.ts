import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { queueFilesDir } from '../../src/activities/files/queueFiles';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { enqueue, queueVerb, setQueuePolicy } from '../../src/client/queue';
import type { QueueEntryInput } from '../../src/model/queueEntry';
import { freePort } from '../../src/server/ports';
import { queueWorkflow } from '../../src/workflows/queue/queue';
import { type EnqueueRequest, approveUpdate, failUpdate, queueQuery, queueWorkflowId } from '../../src/workflows/queue/messages';
import type { QueuePolicyInput, QueueView } from '../../src/workflows/queue/state';
import { reportWorkflow } from '../../src/workflows/report/report';
import { recordHistory } from '../support/histories';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv, eventually } from '../support/temporal';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

const ROOT = join(__dirname, '..', '..');
let counter = 0;

/** A queue of its own: task queue, worker, NIGHTSHIFT_HOME, repo, queue name. */
async function queueCtx(policy: QueuePolicyInput = {}) {
  const taskQueue = env.taskQueue();
  const { worker, home } = await env.worker({ taskQueue });
  const queue = `q${process.pid}-${++counter}-${Date.now() % 100000}`;
  const dir = tempDir('queue');
  const ctx = {
    taskQueue,
    worker,
    home,
    queue,
    dir,
    repo: makeRepo(),
    target: { queue, taskQueue },
    handle: () => env.client.workflow.getHandle(queueWorkflowId(queue)),
    view: () => env.client.workflow.getHandle(queueWorkflowId(queue)).query(queueQuery),
    until: (pred: (v: QueueView) => boolean, what: string, timeoutMs = 60_000) =>
      eventually(async () => {
        const v = await ctx.view();
        return pred(v) ? v : undefined;
      }, timeoutMs, what),
    /** A plan entry for the scripted agent; `scenario` says what the agent does. */
    entry(name: string, extra: Partial<QueueEntryInput> = {}, scenario: unknown = { rules: [] }): EnqueueRequest {
      const label = `${name}-${counter}`;
      return {
        entry: {
          label,
          name: `${name} ${counter}`,
          description: `Build the ${name} module as a small Python script that reads a file and writes a summary report`,
          criteria: [`${name} summary written`],
          priority: 'high',
          addedAt: new Date().toISOString(),
          repo: ctx.repo,
          kind: 'plan',
          plan: samplePlan(1),
          ...extra,
        },
        agent: { kind: 'scripted', scenario: writeJson(join(dir, `${label}.json`), scenario) },
        policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '1m' },
      };
    },
    add: (req: EnqueueRequest) => enqueue(env.client, req, ctx.target),
    setPolicy: (p: QueuePolicyInput) => setQueuePolicy(env.client, p, ctx.target),
    file: (name: string) => readFileSync(join(queueFilesDir(home, queue), name), 'utf8'),
    /** Runs `fn` with the worker up, after starting the queue with the test's policy. */
    run: <T>(fn: () => Promise<T>) =>
      worker.runUntil(async () => {
        await ctx.setPolicy({ timeZone: 'UTC', retryInterval: '1s', ...policy });
        return fn();
      }),
  };
  return ctx;
}

/** Runs the real CLI (compiled by the global setup) against the test server and task queue. */
function cli(taskQueue: string, args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'dist', 'src', 'client', 'index.js'), ...args],
      { env: { ...process.env, NIGHTSHIFT_TASK_QUEUE: taskQueue, ...extraEnv }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function runs(workflowId: string) {
  const out = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) out.push(wf);
  return out.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

const LONG = { rules: [{ do: [{ tick: { every: 200, count: 1500 } }] }] };

async function stop(worker: Worker, queue: string, labels: string[] = []): Promise<void> {
  for (const id of [queueWorkflowId(queue), ...labels.map((l) => `build-${l}`)]) {
    await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  }
  void worker;
}

describe('admission', () => {
  it('starts high first, one at a time; the next high starts right after; BUILD_STATUS.md matches the queue', async () => {
    const q = await queueCtx({ offHours: offWindowClosed() });
    const slow = q.entry('alpha', {}, { rules: [{ do: [{ tick: { every: 200, count: 40 } }, { edit: true }] }] });
    const second = q.entry('beta', { addedAt: new Date(Date.now() + 1).toISOString() });
    await q.run(async () => {
      expect(await q.add(slow)).toMatchObject({ label: slow.entry.label, position: 0, building: true, workflowId: `build-${slow.entry.label}` });
      const low = await q.add(q.entry('gamma', { priority: 'low' }));
      expect(low).toMatchObject({ building: false, position: 1, reasons: [expect.stringMatching(/approve it/), expect.stringMatching(/starts when one finishes/)] });
      await q.add(q.entry('delta', { priority: 'medium' }));
      expect(await q.add(second)).toMatchObject({ building: false, position: 1 });

      const view = await q.view();
      expect(view.active.map((a) => a.label)).toEqual([slow.entry.label]);
      expect(view.waiting.map((w) => [w.position, w.priority, w.reasons.map((r) => r.code)])).toEqual([
        [1, 'high', ['concurrency']],
        [2, 'medium', ['window', 'concurrency']],
        [3, 'low', ['approval', 'concurrency']],
      ]);

      // BUILD_STATUS.md and `status --queue --json` show the same queue as the query.
      const status = await eventually(() => {
        const text = q.file('BUILD_STATUS.md');
        return text.includes(second.entry.label as string) ? text : undefined;
      }, 10_000, 'BUILD_STATUS.md');
      expect(queueRows(status)).toEqual(view.waiting.map((w) => [String(w.position), w.label]));
      expect(buildingRows(status)).toEqual([slow.entry.label]);
      expect(status).toMatch(/## System Health[\s\S]*Worker:.*seen[\s\S]*Temporal server:\*\* reachable/);
      const json = await cli(q.taskQueue, ['status', '--queue', '--active', '--json', '--queue-name', q.queue]);
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as { waiting: QueueView['waiting']; active: { label: string; live: { percent: number | null } }[] };
      expect(parsed.waiting.map((w) => [String(w.position), w.label])).toEqual(queueRows(status));
      expect(parsed.active.map((a) => a.label)).toEqual(buildingRows(status));
      expect(q.file('BUILD_QUEUE.md')).toMatch(new RegExp(`- \\[ \\] alpha ${counter} - Added: .* - Priority: High - Status: Building`));

      const done = await q.until((v) => v.recent.length === 2, 'both highs to finish');
      expect(done.recent.map((c) => [c.label, c.outcome])).toEqual([
        [second.entry.label, 'completed'],
        [slow.entry.label, 'completed'],
      ]);
      const [first] = await runs(`build-${slow.entry.label}`);
      const [next] = await runs(`build-${second.entry.label}`);
      const gap = (next?.startTime.getTime() ?? 0) - (first?.closeTime?.getTime() ?? Infinity);
      expect(gap).toBeGreaterThanOrEqual(0);
      expect(gap).toBeLessThan(5000);
      expect(done.waiting.map((w) => w.priority)).toEqual(['medium', 'low']);
      await eventually(() => (/_\(nothing building\)_/.test(q.file('BUILD_STATUS.md')) ? true : undefined), 10_000, 'BUILD_STATUS.md to show nothing building');
      expect(q.file('BUILD_STATUS.md')).toMatch(new RegExp(`\\| ${second.entry.label} \\| completed \\|`));
      await stop(q.worker, q.queue);
    });
    expect(gitIn(q.repo, 'log', '--format=%s', `main..nightshift/${second.entry.label}`)).toBe('checkpoint-1: Step 1');
  });

  it('a medium entry waits outside the off-hours window and starts when it opens (durable timer)', async () => {
    const opens = nextMinute(4000);
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const q = await queueCtx({ offHours: `${hhmm(opens)}-${hhmm(new Date(opens.getTime() + 3_600_000))}` });
    const medium = q.entry('night', { priority: 'medium' });
    await q.run(async () => {
      const answer = await q.add(medium);
      expect(answer).toMatchObject({ building: false, position: 1, reasons: [expect.stringMatching(/off-hours window/)] });
      expect((await q.view()).wakeAt).toBe(opens.toISOString());
      const started = await q.until((v) => v.active.length === 1 || v.recent.length === 1, 'the window to open', 90_000);
      const startedAt = started.active[0]?.startedAt ?? started.recent[0]?.startedAt;
      expect(Date.parse(startedAt as string)).toBeGreaterThanOrEqual(opens.getTime());
      expect(Date.parse(startedAt as string) - opens.getTime()).toBeLessThan(5000);
      await q.until((v) => v.recent.length === 1, 'the medium build to finish');
      await stop(q.worker, q.queue);
    });
  });

  it('refuses vague entries with every reason, holds blocked ones, and starts low only after approve', async () => {
    const q = await queueCtx({ concurrency: 2 });
    await q.run(async () => {
      const vague = await cli(q.taskQueue, ['add', '--name', 'Spotify Thing', '--desc', 'Do Spotify stuff', '--criteria', 'When it works', '--time', 'IDK', '--priority', 'high', '--repo', q.repo, '--queue', q.queue]);
      expect(vague.code).toBe(2);
      expect(vague.stderr).toMatch(/"spotify-thing" was not queued/);
      expect(vague.stderr).toMatch(/too vague to build from[\s\S]*"When it works" is too vague to check[\s\S]*"IDK" is not a duration/);
      expect((await q.view()).waiting).toEqual([]);

      const blocked = q.entry('blocked', { blockers: ['Waiting for Google API credentials'] });
      expect(await q.add(blocked)).toMatchObject({ building: false, reasons: [expect.stringMatching(/blocked by "Waiting for Google API credentials"/)] });

      const added = await cli(q.taskQueue, ['add', '--name', 'Reading digest', '--desc', 'Build a weekly digest of saved reading list articles as a markdown file in the repo',
        '--criteria', 'Digest file written', '--priority', 'low', '--plan', writeJson(join(q.dir, 'plan.json'), samplePlan(1)), '--repo', q.repo, '--queue', q.queue, '--json']);
      expect(added.code).toBe(0);
      const answer = JSON.parse(added.stdout) as { label: string; position: number; building: boolean; reasons: string[] };
      expect(answer).toMatchObject({ accepted: true, label: 'reading-digest', building: false, reasons: [expect.stringMatching(/low priority.*approve it/)] });
      await new Promise((r) => setTimeout(r, 1000));
      expect((await q.view()).active).toEqual([]);

      const approved = await queueVerb(env.client, q.queue, approveUpdate, { label: 'reading-digest' });
      expect(approved.active.map((a) => a.label)).toEqual(['reading-digest']);
      const done = await q.until((v) => v.recent.length === 1, 'the approved build');
      expect(done.recent[0]).toMatchObject({ label: 'reading-digest', outcome: 'completed' });
      expect(done.waiting.map((w) => [w.label, w.reasons.map((r) => r.code)])).toEqual([[blocked.entry.label, ['blocker']]]);
      await stop(q.worker, q.queue);
    });
  });

  it('imports a seed BUILD_QUEUE.md: all priorities, a vague entry, completed ones; a second import adds nothing', async () => {
    const q = await queueCtx({ maxRetries: 0, offHours: offWindowClosed() });
    const fixture = join(ROOT, 'test', 'fixtures', 'seed', 'BUILD_QUEUE.md');
    await q.run(async () => {
      const first = await cli(q.taskQueue, ['add', '--from', fixture, '--repo', q.repo, '--queue', q.queue, '--max-sessions', '1', '--json']);
      expect(first.code).toBe(2);
      const results = (JSON.parse(first.stdout) as { results: { label: string; result: string; reasons?: string[]; reason?: string }[] }).results;
      const by = Object.fromEntries(results.map((r) => [r.label, r]));
      expect(by['spotify-playlist-automation']).toMatchObject({ result: 'accepted', building: true });
      expect(by['workout-playlist-feature']).toMatchObject({ result: 'accepted', building: false });
      expect(by['calendar-sync']).toMatchObject({ result: 'accepted', building: false });
      expect(by['spotify-thing']).toMatchObject({ result: 'refused', reasons: [expect.stringMatching(/too vague/), expect.stringMatching(/too vague to check/), expect.any(String), expect.any(String)] });
      expect(by['reading-list-digest']).toMatchObject({ result: 'refused', reasons: expect.arrayContaining([expect.stringMatching(/no description/)]) });
      expect(by['autonomous-build-system']).toMatchObject({ result: 'skipped', reason: 'completed' });
      expect(by['morning-briefing-script']).toMatchObject({ result: 'skipped', reason: 'completed' });

      const view = await q.view();
      expect(view.active.map((a) => [a.label, a.kind])).toEqual([['spotify-playlist-automation', 'loop']]);
      expect(view.waiting.map((w) => [w.label, w.reasons.map((r) => r.code)])).toEqual([
        ['calendar-sync', ['blocker', 'window', 'concurrency']],
        ['workout-playlist-feature', ['window', 'concurrency']],
      ]);

      const again = await cli(q.taskQueue, ['add', '--from', fixture, '--repo', q.repo, '--queue', q.queue, '--max-sessions', '1', '--json']);
      const second = (JSON.parse(again.stdout) as { results: { label: string; result: string; reason?: string }[] }).results;
      expect(second.filter((r) => r.result === 'accepted')).toEqual([]);
      expect(second.find((r) => r.label === 'calendar-sync')).toMatchObject({ result: 'skipped', reason: 'already queued' });
      await stop(q.worker, q.queue, []);
      await env.client.workflow.getHandle('loop-spotify-playlist-automation').terminate('test over').catch(() => undefined);
    });
  });
});

describe('failures', () => {
  it('fail cancels the running build and the queue retries it', async () => {
    const q = await queueCtx();
    const pidFile = join(q.dir, 'agent.pid');
    const flaky = q.entry('flaky', {}, { rules: [{ times: 1, do: [{ pidFile }, { tick: { every: 200, count: 1500 } }] }] });
    const label = flaky.entry.label as string;
    await q.run(async () => {
      await q.add(flaky);
      await eventually(() => (safeRead(pidFile) ? true : undefined), 30_000, 'the agent to start');
      const after = await queueVerb(env.client, q.queue, failUpdate, { label, reason: 'no progress' });
      expect(after.active[0]).toMatchObject({ label, failRequested: 'no progress' });
      const done = await q.until((v) => v.recent.some((c) => c.outcome === 'completed'), 'the retry to complete');
      expect(done.recent.map((c) => [c.outcome, c.attempts, c.error])).toEqual([
        ['completed', 1, null],
        ['failed', 1, 'marked failed: no progress'],
      ]);
      const all = await eventually(async () => {
        const list = await runs(`build-${label}`);
        return list.length === 2 && list[1]?.status.name === 'COMPLETED' ? list : undefined;
      }, 10_000, 'both runs in visibility');
      expect(all.map((r) => r.status.name)).toEqual(['CANCELLED', 'COMPLETED']);
      expect(readFileSync(join(q.home, 'notifications.log'), 'utf8')).toMatch(new RegExp(`\\[cancelled\\] ${label}`));
      await stop(q.worker, q.queue);
    });
  });

  it('keeps track of a build across its own continue-as-new', async () => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const queue = `can-${process.pid}-${++counter}`;
    const scenario = writeJson(join(tempDir('can'), 's.json'), { rules: [{ do: [{ tick: { every: 200, count: 20 } }, { edit: true }] }] });
    const repo = makeRepo();
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(queueWorkflow, { taskQueue, workflowId: queueWorkflowId(queue), args: [{ name: queue, maxHistoryEvents: 25, policy: { timeZone: 'UTC' } }] });
      await enqueue(env.client, {
        entry: { label: `can-${counter}`, name: 'Carried build', description: 'Build the carried module as a Python script that writes a summary report', criteria: ['summary written'], addedAt: new Date().toISOString(), repo, kind: 'plan', plan: samplePlan(1) },
        agent: { kind: 'scripted', scenario },
      }, { queue, taskQueue });
      const view = await eventually(async () => {
        const d = await handle.describe();
        const v = await handle.query(queueQuery);
        return d.runId !== handle.firstExecutionRunId && v.recent.length === 1 ? v : undefined;
      }, 60_000, 'continue-as-new, then the build to finish');
      expect(view.recent[0]).toMatchObject({ label: `can-${counter}`, outcome: 'completed' });
      // Both runs (before and after continue-as-new) replay against today's code.
      const first = await env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
      for (const history of [first, await handle.fetchHistory()]) {
        await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.NIGHTSHIFT_TEST_BUNDLE as string } }, history);
      }
      await recordHistory(handle, 'queue-continue-as-new');
      await handle.terminate('test over');
    });
  });
});

describe('report and webhook', () => {
  it('writes a report with completed and active builds, the queue and totals', async () => {
    const q = await queueCtx({ concurrency: 2 });
    const quick = q.entry('done');
    const running = q.entry('running', {}, LONG);
    await q.run(async () => {
      await q.add(quick);
      await q.add(running);
      await q.add(q.entry('later', { priority: 'low' }));
      await q.until((v) => v.recent.length === 1 && v.active.length === 1, 'one done, one running');
      const today = new Date().toISOString().slice(0, 10);
      const result = await env.client.workflow.execute(reportWorkflow, { taskQueue: q.taskQueue, workflowId: `report-${q.queue}`, args: [{ timeZone: 'UTC' }] });
      expect(result).toMatchObject({ path: join(q.home, 'build-reports', `${today}.md`), completed: 1, active: 1, queued: 1 });
      const text = readFileSync(result.path, 'utf8');
      expect(text).toMatch(new RegExp(`## Completed today\\n\\n1\\. \\*\\*${quick.entry.label}\\*\\* \\(Sample plan with 1 checkpoints\\) — duration \\S+ · 1 commit\\(s\\)`));
      expect(text).toMatch(new RegExp(`## Currently building\\n\\n1\\. \\*\\*${running.entry.label}\\*\\*.* — running · 0% · checkpoint 1, task group 1\\.1`));
      expect(text).toMatch(/## Queue\n\n1\. later-\d+ \(low\) — approval:/);
      expect(text).toMatch(/- Completed: 1 · Failed or stopped: 0 · Building: 1 · Queued: 1/);
      await stop(q.worker, q.queue, [running.entry.label as string]);
    });
  });

  it('posts notifications to a webhook; a dead webhook does not fail or hold up the build', async () => {
    const received: { text: string; content: string; event: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const liveUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const deadUrl = `http://127.0.0.1:${await freePort()}/hook`;
    const before = process.env.NIGHTSHIFT_WEBHOOK_URL;
    try {
      for (const [url, name] of [[liveUrl, 'hook-live'], [deadUrl, 'hook-dead']] as const) {
        process.env.NIGHTSHIFT_WEBHOOK_URL = url;
        const taskQueue = env.taskQueue();
        const { worker } = await env.worker({ taskQueue });
        const request = parseBuildRequest({ label: `${name}-${process.pid}-${++counter}`, repo: makeRepo(), plan: samplePlan(1), agent: { kind: 'scripted' } });
        const started = Date.now();
        const result = await worker.runUntil(async () => (await startBuild(env.client, request, { taskQueue })).result());
        expect(result.status).toBe('completed');
        if (name === 'hook-dead') expect(Date.now() - started).toBeLessThan(20_000);
        else {
          expect(received.map((r) => r.event)).toEqual(['started', 'completed']);
          expect(received[1]).toMatchObject({ text: expect.stringMatching(new RegExp(`completed: build ${request.label} completed`)), content: received[1]?.text });
        }
      }
    } finally {
      process.env.NIGHTSHIFT_WEBHOOK_URL = before;
      if (before === undefined) delete process.env.NIGHTSHIFT_WEBHOOK_URL;
      server.close();
    }
  });
});

/** Rows of BUILD_STATUS.md's queue table: [position, label]. */
function queueRows(md: string): string[][] {
  const section = md.split('## Queue')[1]?.split('##')[0] ?? '';
  return section
    .split('\n')
    .filter((l) => /^\| \d+ \|/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()).slice(1, 3));
}

function buildingRows(md: string): string[] {
  const section = md.split('## Currently Building')[1]?.split('##')[0] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Label') && !l.startsWith('| ---'))
    .map((l) => l.split('|')[1]?.trim() ?? '');
}

/** A window that is closed now and stays closed for the test (opens in 12 hours, for an hour). */
function offWindowClosed(): string {
  const opens = new Date(Date.now() + 12 * 3_600_000);
  const h = (d: Date) => d.toISOString().slice(11, 16);
  return `${h(opens)}-${h(new Date(opens.getTime() + 3_600_000))}`;
}

/** The next whole UTC minute at least `marginMs` away (windows have minute precision). */
function nextMinute(marginMs: number): Date {
  const t = Math.ceil((Date.now() + marginMs) / 60_000) * 60_000;
  return new Date(t);
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
