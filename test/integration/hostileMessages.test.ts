import { join } from 'node:path';
import { setQueuePolicy } from '../../src/client/queue';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import { MAX_TEXT_CHARS } from '../../src/model/payloads';
import { loopStatusQuery } from '../../src/workflows/loop/messages';
import { pauseUpdate, statusQuery } from '../../src/workflows/build/messages';
import { queueQuery, queueWorkflowId } from '../../src/workflows/queue/messages';
import { scenarioBuild, untilStatus } from '../support/builds';
import { branchSubjects, gitIn, makeRepo, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { testLog } from '../support/testLog';
import { rawSignal, rawUpdate, temporal } from '../support/temporalCommand';

/**
 * Raw messages never break a build, a loop or a queue. Each malformed payload below is sent with the
 * real `temporal` CLI, as someone would type it: signals are dropped with a worker warning naming
 * the field, updates are refused by their validator naming it, the status query keeps answering, a
 * valid message afterwards still works and the run finishes with its commits.
 */

// Worker warnings are the promise for signals: the test log (test/support/testLog.ts) hands them over.
const warnings: string[] = [];
testLog().listen((entry) => {
  if (entry.level === 'WARN') warnings.push(entry.message);
});

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

const big = (chars: number) => 'x'.repeat(chars);
const tooLong = JSON.stringify({ message: big(100 * 1024) });

/** [message name, raw --input (undefined: none), the warning's field part]. */
const BUILD_SIGNALS: [string, string | undefined, RegExp][] = [
  ['feedback', '"x"', /^ignored signal feedback: payload: .*expected object, received string/],
  ['feedback', '{"message":12}', /^ignored signal feedback: message: .*expected string, received number/],
  ['feedback', '[1,2]', /^ignored signal feedback: payload: .*received array/],
  [
    'feedback',
    tooLong,
    new RegExp(
      `^ignored signal feedback: message: message is too long: at most ${MAX_TEXT_CHARS} characters`,
    ),
  ],
  ['override', '{"note":5}', /^ignored signal override: note: .*expected string, received number/],
  ['override', undefined, /^ignored signal override: override needs a payload like \{"note"/],
  ['skip', '{"note":"fine","extra":true}', /^ignored signal skip: payload: Unrecognized key: "extra"/],
  ['pause', '{"now":"yes"}', /^ignored signal pause: now: .*expected boolean, received string/],
  ['resume', '{"force":1}', /^ignored signal resume: payload: takes no payload, got an object with "force"/],
  ['progress', '{"session":"one"}', /^ignored signal progress: session: .*expected number/],
];

const BUILD_UPDATES: [string, string | undefined, RegExp][] = [
  ['feedback', '{"message":12}', /message: .*expected string, received number/],
  ['override', '"x"', /payload: .*expected object, received string/],
  ['skip', '{"note":"fine","extra":true}', /Unrecognized key: "extra"/],
  ['pause', '{"reason":5}', /reason: .*expected string, received number/],
  ['feedback', JSON.stringify({ message: big(MAX_TEXT_CHARS + 1) }), /message: message is too long/],
];

async function expectWarnings(patterns: RegExp[]): Promise<void> {
  await eventually(
    () => (patterns.every((p) => warnings.some((w) => p.test(w))) ? true : undefined),
    30_000,
    'the worker warnings',
  );
}

async function expectRefused(
  workflowId: string,
  updates: [string, string | undefined, RegExp][],
): Promise<void> {
  for (const [name, input, field] of updates) {
    const r = await rawUpdate(workflowId, name, input);
    expect({ name, refused: r.code !== 0 }).toEqual({ name, refused: true });
    // The CLI logs the refusal as a quoted string: undo its escaping.
    expect(`${r.stdout}${r.stderr}`.replace(/\\"/g, '"')).toMatch(field);
  }
}

describe('a build under raw messages', () => {
  it('drops malformed signals with a warning naming the field, refuses malformed updates, and still completes', async () => {
    const b = await scenarioBuild(env, { name: 'hostile', checkpoints: 2 });
    await b.run(async (handle) => {
      // Paused at its first task boundary, so it is alive for as long as the test needs.
      await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'under fire' }] });
      await untilStatus(handle, (v) => v.status === 'paused', 'the pause');

      for (const [name, input] of BUILD_SIGNALS) {
        const sent = await rawSignal(handle.workflowId, name, input);
        expect({ name, code: sent.code, stderr: sent.stderr }).toEqual({ name, code: 0, stderr: '' });
      }
      // 10 MB: the server may refuse a payload that size itself, else the worker drops it; either way it
      // never reaches the state.
      const huge = writeJson(join(tempDir('huge'), 'note.json'), { note: big(10 * 1024 * 1024) });
      const hugeSent = await temporal([
        'workflow',
        'signal',
        '--workflow-id',
        handle.workflowId,
        '--name',
        'override',
        '--input-file',
        huge,
      ]);
      if (hugeSent.code === 0)
        await expectWarnings([/^ignored signal override: note: note is too long: .*got 10485760/]);
      else expect(hugeSent.stderr).toMatch(/larger than max|size|limit|too large/i);

      await expectWarnings(BUILD_SIGNALS.map(([, , field]) => field));
      const view = await handle.query(statusQuery);
      expect(view).toMatchObject({ status: 'paused', devNotes: [], lastError: null });
      expect(JSON.stringify(view).length).toBeLessThan(50_000);

      await expectRefused(handle.workflowId, BUILD_UPDATES);
      expect((await handle.query(statusQuery)).status).toBe('paused');

      // A valid signal afterwards still works: resume with no input, as `temporal` sends it.
      expect((await rawSignal(handle.workflowId, 'resume')).code).toBe(0);
      expect(await handle.result()).toMatchObject({ status: 'completed' });
    });
    expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  });
});

describe('a loop under raw messages', () => {
  it('keeps waiting for a decision through malformed messages, and a valid retry finishes it', async () => {
    const dir = tempDir('loop');
    const scenario = writeJson(join(dir, 'scenario.json'), {
      rules: [{ times: 1, do: [{ stderr: 'agent crashed' }, { exit: 3 }] }],
      otherwise: [{ append: { path: 'notes.txt', content: 'done\n' } }, { print: '<promise>DONE</promise>' }],
    });
    const repo = makeRepo();
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const request = parseLoopRequest({
      taskName: `hostile-loop-${process.pid}-${Date.now() % 100000}`,
      task: 'Write notes',
      repo,
      mode: 'lightweight',
      maxSessions: 1,
      agent: { kind: 'scripted', scenario },
      policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '1m' },
    });
    const result = await worker.runUntil(async () => {
      const handle = await startLoop(env.client, request, { taskQueue });
      await eventually(
        async () => ((await handle.query(loopStatusQuery)).status === 'awaiting-human' ? true : undefined),
        60_000,
        'the escalation',
      );
      const signals: [string, string | undefined, RegExp][] = [
        ['override', '{"note":5}', /^ignored signal override: note: .*expected string/],
        ['override', '[1,2]', /^ignored signal override: payload: .*received array/],
        [
          'override',
          JSON.stringify({ note: big(100 * 1024) }),
          /^ignored signal override: note: note is too long/,
        ],
        ['retry', '"x"', /^ignored signal retry: payload: takes no payload, got a string/],
        ['progress', '{"session":1,"line":7}', /^ignored signal progress: line: .*expected string/],
      ];
      for (const [name, input] of signals)
        expect((await rawSignal(handle.workflowId, name, input)).code).toBe(0);
      await expectWarnings(signals.map(([, , field]) => field));
      await expectRefused(handle.workflowId, [
        ['override', '{"note":5}', /note: .*expected string/],
        ['override', '{"note":"ok","by":"me"}', /Unrecognized key: "by"/],
        ['retry', '[1]', /takes no payload, got an array/],
      ]);
      expect((await handle.query(loopStatusQuery)).status).toBe('awaiting-human');
      expect((await rawSignal(handle.workflowId, 'retry')).code).toBe(0);
      return handle.result();
    });
    expect(result).toMatchObject({ status: 'completed' });
    expect(gitIn(repo, 'log', '--format=%s').split('\n').filter(Boolean)).toHaveLength(2);
  });
});

describe('a queue under raw messages', () => {
  it('drops malformed verbs, refuses malformed updates (enqueue included), and still takes a valid policy', async () => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const name = `hostile-${process.pid}-${Date.now() % 100000}`;
    const workflowId = queueWorkflowId(name);
    await worker.runUntil(async () => {
      await setQueuePolicy(env.client, {}, { queue: name, taskQueue });
      const signals: [string, string | undefined, RegExp][] = [
        ['approve', '"x"', /^ignored signal approve: payload: .*expected object/],
        ['approve', '{"label":5}', /^ignored signal approve: label: .*expected string/],
        ['remove', '[1,2]', /^ignored signal remove: payload: .*received array/],
        ['fail', '{"label":"a","reason":7}', /^ignored signal fail: reason: .*expected string/],
        ['setPolicy', '{"concurrency":"two"}', /^ignored signal setPolicy: concurrency: .*expected number/],
        ['setPolicy', '{"parallel":2}', /^ignored signal setPolicy: payload: Unrecognized key: "parallel"/],
      ];
      for (const [verb, input] of signals) expect((await rawSignal(workflowId, verb, input)).code).toBe(0);
      await expectWarnings(signals.map(([, , field]) => field));
      await expectRefused(workflowId, [
        ['approve', '{"label":5}', /label: .*expected string/],
        ['setPolicy', '{"parallel":2}', /Unrecognized key: "parallel"/],
        ['setPolicy', '{"concurrency":0}', /concurrency: expected at least 1/],
        ['enqueue', '{"entry":"x"}', /entry: .*expected record/],
        ['enqueue', '{"entry":{"name":"x"},"priority":"high"}', /Unrecognized key: "priority"/],
        ['enqueue', undefined, /enqueue needs a payload/],
      ]);
      const handle = env.client.workflow.getHandle(workflowId);
      expect(await handle.query(queueQuery)).toMatchObject({ name, waiting: [], active: [] });
      // A valid signal afterwards takes effect.
      expect((await rawSignal(workflowId, 'setPolicy', '{"concurrency":3}')).code).toBe(0);
      await eventually(
        async () => ((await handle.query(queueQuery)).policy.concurrency === 3 ? true : undefined),
        30_000,
        'the new policy',
      );
      await handle.terminate('test done');
    });
  });
});
