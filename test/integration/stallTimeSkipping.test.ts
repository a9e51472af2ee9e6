import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { HomeLayout } from '../../src/activities/paths';
import { processAlive } from '../../src/activities/session/process';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { createNightshiftWorker } from '../../src/worker/createWorker';
import { statusQuery } from '../../src/workflows/build/messages';
import { SEARCH_ATTRIBUTE_NAMES } from '../../src/workflows/shared/searchAttributes';
import type { BuildStatusView } from '../../src/workflows/build/state';
import { makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { eventually } from '../support/temporal';
import { ensureTimeSkippingServer } from '../support/timeSkipping';

/**
 * The build's DEFAULT stall timeout (4 h) proven in workflow time, on Temporal's time-skipping test
 * server, while a real agent process runs: it prints one line, then sleeps silently for a day.
 *
 * How time moves on the test server: a counter of locks. The environment holds one from the start
 * (the SDK's client releases it only while `result()` waits), every scheduled activity holds one until
 * it completes, fails or is cancelled, every workflow task one until it is answered; whenever the
 * count is 0 the server jumps to its next timer. This test releases the environment's lock once, at
 * the start, so time skips whenever nothing runs (the 5 min retry backoff passes at once). A running
 * session activity still holds its own lock, so while the agent runs, workflow time only moves when
 * the test calls `env.sleep(d)` (UnlockTimeSkippingWithSleep: one more unlock, so the count is 0, until
 * the server's clock has moved d, then the lock is taken back). Never call `handle.result()` here: its
 * extra unlock would unbalance the count.
 *
 * Crossing the stall: the stall timer fires, the workflow asks to cancel the session (TRY_CANCEL, so
 * it records the stall and moves on at once), and the sleep's own timer re-takes the lock right after.
 * The session learns of the cancel on its next heartbeat and gives its lock back only after killing
 * the agent's group, which takes the 3 s SIGTERM grace because the agent's grandchild ignores SIGTERM:
 * the count never goes below 0 (the server would refuse an unbalanced unlock). Until then the 5 min
 * backoff waits in real time; then it is skipped. After the last stall the test takes the lock back.
 *
 * The session heartbeats every second in real time, but one `env.sleep` jumps hours: the request's
 * heartbeatTimeout is 5 h so a skip never outruns it. stallTimeout, retryInterval and maxAttempts are
 * the defaults (not set).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const STALL = 4 * HOUR;
const EventType = temporal.api.enums.v1.EventType;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.NIGHTSHIFT_TEST_LOG as 'INFO') ?? 'WARN') });
  } catch {
    /* already installed in this jest worker */
  }
  const path = await ensureTimeSkippingServer();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  // The test server knows only its own Custom* attributes; the build upserts Nightshift's.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_NAMES.map((name) => [
        name,
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
}, 10 * MINUTE);

afterAll(async () => {
  await env?.teardown();
});

const hours = (ms: number) => `${(ms / HOUR).toFixed(4)}h`;

it(
  'a silent agent stalls after the default 4 h of workflow time, is killed, and escalates after 3 attempts',
  async () => {
    const wallStart = Date.now();
    const testService = env.connection.testService;
    if (!testService) throw new Error('the time-skipping environment has no TestService');
    const dir = tempDir('stall-4h');
    const pidOf = (who: 'agent' | 'child', session: number) => join(dir, `${who}-${session}.pid`);
    // Each session's agent records its pid, starts a grandchild that ignores SIGTERM, and goes silent.
    // Its one line of output is the scripted agent's header ("scripted agent: session N, ...").
    const scenario = writeJson(join(dir, 'scenario.json'), {
      rules: [1, 2, 3].map((session) => ({
        when: { session },
        do: [
          { pidFile: pidOf('agent', session) },
          { spawnChild: { pidFile: pidOf('child', session) } },
          { sleep: 24 * HOUR },
        ],
      })),
    });
    const label = `stall-4h-${process.pid}`;
    const request = parseBuildRequest({
      label,
      repo: makeRepo(),
      plan: samplePlan(1),
      agent: { kind: 'scripted', scenario },
      policy: { heartbeatTimeout: '5h' },
    });
    expect(request.policy).toMatchObject({
      stallTimeout: STALL,
      retryInterval: 5 * MINUTE,
      maxAttempts: 3,
      maxSessionTime: 12 * HOUR,
    });

    const home = tempDir('home');
    const layout = new HomeLayout(home);
    const taskQueue = `stall-4h-${process.pid}`;
    const worker = await createNightshiftWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      home,
      taskQueue,
      workflowBundle: { codePath: process.env.NIGHTSHIFT_TEST_BUNDLE as string },
    });

    const t0 = await env.currentTimeMs();
    // From here on, time skips whenever nothing is running (see the top of this file).
    await testService.unlockTimeSkipping({});

    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });

      // ---- session 1: the agent prints its line; its progress signal reaches the build ----
      const lastWord = await sessionSpoke(handle, 1);
      const leader = readPid(pidOf('agent', 1));
      const child = readPid(pidOf('child', 1));
      expect(processAlive(leader)).toBe(true);
      expect(processAlive(child)).toBe(true);

      // (a) 3h59m of workflow time after its last output: still running, nothing stalled.
      await env.sleep(lastWord + STALL - MINUTE - (await env.currentTimeMs()));
      const before = await handle.query(statusQuery);
      const at3h59 = (await env.currentTimeMs()) - lastWord;
      expect(at3h59).toBeGreaterThanOrEqual(STALL - MINUTE);
      expect(at3h59).toBeLessThan(STALL);
      expect(before).toMatchObject({ status: 'running', sessions: 1, attempts: [], lastError: null });
      expect(processAlive(leader)).toBe(true); // the same real process, 3h59m of workflow time later
      expect(processAlive(child)).toBe(true);
      expect(firedStallTimers(await handle.fetchHistory())).toEqual([]);

      // (a) two more minutes: the 4 h timer fires, the session is cancelled and recorded as stalled.
      await env.sleep(2 * MINUTE);
      const stalled = await untilStatus(handle, (v) => v.attempts.length === 1, 'the first stalled attempt');
      expect(stalled.attempts[0]).toMatchObject({
        outcome: 'stalled',
        session: 1,
        error: 'no output for 14400s',
      });
      expect(stalled.lastError).toBe('no output for 14400s');
      const history1 = await handle.fetchHistory();
      const [fired1] = firedStallTimers(history1);
      expect(fired1).toBeDefined();
      const timer1 = fired1 as StallTimer;
      expectStallTimer(timer1);
      expect(timer1.startedAt).toBeGreaterThanOrEqual(lastWord); // armed when the last output arrived...
      expect(timer1.firedAt - lastWord).toBeGreaterThanOrEqual(STALL); // ...so no stall before 4 h of silence
      const cancelAt = eventTimes(history1, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)[0] as number;
      expect(cancelAt).toBeGreaterThanOrEqual(lastWord + STALL);
      expect(Date.parse(stalled.attempts[0]?.at as string) - lastWord).toBeGreaterThanOrEqual(STALL);

      // (b) the stalled agent's whole process group is gone, the grandchild that ignored SIGTERM too
      // (processAlive counts a zombie as dead: in a container nothing may reap the reparented grandchild).
      await eventually(
        () => (!processAlive(leader) && !processAlive(child) ? true : undefined),
        10_000,
        'the stalled group to die',
      );
      // The workflow moved on at once (activities are cancelled TRY_CANCEL); the session activity ends
      // after the kill, removing its pid record (the step's record may by then be session 2's).
      const record = layout.pidFile(label, 'checkpoint-1-group-1.1');
      await eventually(
        () =>
          !existsSync(record) || !readFileSync(record, 'utf8').includes(`"pgid":${leader},`)
            ? true
            : undefined,
        10_000,
        'the pid record to go',
      );
      expect(readFileSync(layout.sessionLog(label, 1), 'utf8')).toContain(
        `# cancelled: process group ${leader} killed`,
      );
      process.stderr.write(
        `[stall 4h] session 1: last output at +${hours(lastWord - t0)}, stall timer fired at +${hours(timer1.firedAt - t0)} ` +
          `(${hours(timer1.firedAt - lastWord)} of silence), after ${((Date.now() - wallStart) / 1000).toFixed(1)}s of wall time\n`,
      );

      // (c) the default 5 min backoff passes by itself; sessions 2 and 3 stall the same way.
      let previousStall = timer1.firedAt;
      for (const session of [2, 3]) {
        const spoke = await sessionSpoke(handle, session);
        expect(spoke - previousStall).toBeGreaterThanOrEqual(5 * MINUTE);
        await env.sleep(spoke + STALL + MINUTE - (await env.currentTimeMs()));
        // After the last stall the build waits for a person, with no timer of its own: if time still
        // skipped, it would jump to the test server's default run timeout (10 years) and time out.
        // Take the lock back now, while session 3 still holds its own (it releases it seconds later).
        if (session === 3) await testService.lockTimeSkipping({});
        await untilStatus(handle, (v) => v.attempts.length === session, `stalled attempt ${session}`);
        const fired = firedStallTimers(await handle.fetchHistory());
        expect(fired).toHaveLength(session);
        previousStall = (fired[session - 1] as StallTimer).firedAt;
        expect(previousStall - spoke).toBeGreaterThanOrEqual(STALL);
        const sessionLeader = readPid(pidOf('agent', session));
        await eventually(
          () =>
            !processAlive(sessionLeader) && !processAlive(readPid(pidOf('child', session)))
              ? true
              : undefined,
          10_000,
          `session ${session}'s group to die`,
        );
      }

      const waiting = await untilStatus(
        handle,
        (v) => v.status === 'awaiting-human',
        'escalation after 3 stalls',
      );
      expect(waiting.reason).toBe('stalled');
      expect(waiting.attempts.map((a) => [a.session, a.outcome, a.error])).toEqual([
        [1, 'stalled', 'no output for 14400s'],
        [2, 'stalled', 'no output for 14400s'],
        [3, 'stalled', 'no output for 14400s'],
      ]);
      expect(waiting.waiting?.message).toContain('failed 3 times; last error: no output for 14400s');
      expect(readFileSync(layout.notificationsLog(), 'utf8')).toMatch(/\[escalated\] .*\(stalled\)/);

      const history = await handle.fetchHistory();
      const timers = firedStallTimers(history);
      expect(timers).toHaveLength(3);
      for (const t of timers) expectStallTimer(t);
      const backoffs = firedTimers(history).filter((t) => t.timeout === 5 * MINUTE);
      expect(backoffs).toHaveLength(2);
      // Every session ended cancelled by its stall, none by a heartbeat or start-to-close timeout; wait for
      // the last one to report (after its group's kill) so nothing answers a finished workflow.
      const cancelled = await eventually(
        async () => {
          const h = await handle.fetchHistory();
          return eventTimes(h, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED).length === 3 ? h : undefined;
        },
        30_000,
        'the three sessions to end cancelled',
      );
      expect(eventTimes(cancelled, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)).toEqual([]);
      const workflowTime = (await env.currentTimeMs()) - t0;
      expect(workflowTime).toBeGreaterThanOrEqual(3 * STALL + 2 * 5 * MINUTE);

      await handle.cancel();
      await eventually(
        async () => ((await handle.describe()).status.name === 'CANCELLED' ? true : undefined),
        30_000,
        'the build to be cancelled',
      );
      const wall = Date.now() - wallStart;
      process.stderr.write(
        `[stall 4h] 3 stalls of the default 4h, escalated as stalled: ${hours(workflowTime)} of workflow time in ${(wall / 1000).toFixed(1)}s of wall time\n`,
      );
    });
  },
  5 * MINUTE,
);

/** Waits (in real time) until session `n`'s agent has printed its line and the build has it; returns when the signal arrived, in workflow time. */
async function sessionSpoke(handle: WorkflowHandle, n: number): Promise<number> {
  await untilStatus(
    handle,
    (v) => v.sessions === n && (v.lastOutput ?? '').startsWith(`scripted agent: session ${n},`),
    `session ${n}'s output`,
  );
  const signals = eventTimes(await handle.fetchHistory(), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  const last = signals[signals.length - 1];
  if (last === undefined) throw new Error('no progress signal in the history');
  return last;
}

function untilStatus(
  handle: WorkflowHandle,
  predicate: (v: BuildStatusView) => boolean,
  what: string,
): Promise<BuildStatusView> {
  return eventually(
    async () => {
      const v = await handle.query(statusQuery);
      return predicate(v) ? v : undefined;
    },
    60_000,
    what,
  );
}

function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

type History = temporal.api.history.v1.IHistory;
interface StallTimer {
  timeout: number;
  startedAt: number;
  firedAt: number;
}

function eventTimes(history: History, type: temporal.api.enums.v1.EventType): number[] {
  return (history.events ?? []).filter((e) => e.eventType === type).map((e) => tsToMs(e.eventTime));
}

/** Every timer that fired: its timeout, when it was started and when it fired, in workflow time. */
function firedTimers(history: History): StallTimer[] {
  const events = history.events ?? [];
  const started = new Map<string, { timeout: number; at: number }>();
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_TIMER_STARTED) {
      started.set(String(e.eventId), {
        timeout: tsToMs(e.timerStartedEventAttributes?.startToFireTimeout),
        at: tsToMs(e.eventTime),
      });
    }
  }
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)
    .map((e) => {
      const s = started.get(String(e.timerFiredEventAttributes?.startedEventId));
      if (!s) throw new Error(`timer fired without a start: ${JSON.stringify(e.timerFiredEventAttributes)}`);
      return { timeout: s.timeout, startedAt: s.at, firedAt: tsToMs(e.eventTime) };
    });
}

/**
 * A stall timer ran for 4 h of workflow time. Not to the millisecond: the server stamps TimerStarted a
 * moment before it schedules the timer, and its clock runs at real speed while anything holds a lock.
 */
function expectStallTimer(t: StallTimer): void {
  expect(t.firedAt - t.startedAt).toBeGreaterThanOrEqual(STALL);
  expect(t.firedAt - t.startedAt).toBeLessThan(STALL + 1000);
}

function firedStallTimers(history: History): StallTimer[] {
  return firedTimers(history).filter((t) => t.timeout === STALL);
}
