import type { SessionResult } from '../../src/activities/types';
import type { FailureClass } from '../../src/agents/types';
import { MAX_RATE_LIMIT_PARKS } from '../../src/workflows/shared/rateLimit';
import {
  afterPersonRetry,
  freshCounters,
  judgeSession,
  MAX_WORKER_LOSSES,
  type StepCounters,
  type StepEnding,
  stepEnding,
  STUCK_REPEATS,
} from '../../src/workflows/shared/stepPolicy';

const ctx = { subject: 'checkpoint 1, task group a', maxAttempts: 3 };
const limits = { stallTimeoutMs: 60_000, maxSessionTimeMs: 3_600_000 };

let lines = 0;
/** A failed session; each gets its own last line unless a test gives one, so none looks stuck by accident. */
function failed(failureClass: FailureClass, fields: Partial<Extract<StepEnding, { kind: 'failed' }>> = {}): StepEnding {
  return { kind: 'failed', failureClass, error: `agent exit 1: ${failureClass}`, lastLine: `line ${++lines}`, resetAt: null, sessionGone: false, resumed: false, ...fields };
}

function counters(fields: Partial<StepCounters> = {}): StepCounters {
  return { ...freshCounters(), ...fields };
}

function result(fields: Partial<SessionResult> = {}): SessionResult {
  return {
    session: 1,
    ok: false,
    exitCode: 1,
    signal: null,
    durationMs: 10,
    lastLine: 'last words',
    stderrTail: 'stderr tail',
    devNotes: [],
    promiseSeen: false,
    transcript: '/tmp/t.log',
    costUsd: null,
    turns: null,
    agentSessionId: null,
    model: null,
    failureClass: 'transient',
    failureMessage: null,
    resetAt: null,
    ...fields,
  };
}

describe('the step policy: what each ending means', () => {
  it('done: the step goes on, the attempts it took stay on record, every other count starts over', () => {
    const v = judgeSession({ kind: 'done' }, counters({ attempts: 2, parks: 3, workerLosses: 4, recentFailures: ['x'] }), ctx);
    expect(v.decision).toEqual({ kind: 'done' });
    expect(v.counters).toEqual({ ...freshCounters(), attempts: 2 });
    expect(v.record).toBeNull();
  });

  it.each(['interrupted', 'handed-over'] as const)('%s: runs again at once, nothing spent, nothing recorded', (kind) => {
    const before = counters({ attempts: 2, parks: 1, workerLosses: 3 });
    const v = judgeSession({ kind }, before, ctx);
    expect(v.decision).toEqual({ kind: 'rerun', why: kind });
    expect(v.counters).toEqual(before);
    expect(v.record).toBeNull();
  });

  it('a lost worker runs again at once without spending an attempt, and is recorded', () => {
    const v = judgeSession({ kind: 'worker-lost', error: 'no heartbeat' }, counters({ attempts: 2 }), ctx);
    expect(v.decision).toEqual({ kind: 'rerun', why: 'worker-lost' });
    expect(v.counters.attempts).toBe(2);
    expect(v.counters.workerLosses).toBe(1);
    expect(v.record).toEqual({ outcome: 'worker-lost', error: 'no heartbeat' });
  });

  it(`${MAX_WORKER_LOSSES} lost workers in a row ask the person (worker-lost), still without an attempt`, () => {
    let c = freshCounters();
    for (let i = 1; i < MAX_WORKER_LOSSES; i++) {
      const v = judgeSession({ kind: 'worker-lost', error: 'no heartbeat' }, c, ctx);
      expect(v.decision.kind).toBe('rerun');
      c = v.counters;
    }
    const last = judgeSession({ kind: 'worker-lost', error: 'no heartbeat' }, c, ctx);
    expect(last.decision).toEqual({ kind: 'escalate', reason: 'worker-lost', message: expect.stringContaining(`lost ${MAX_WORKER_LOSSES} times in a row`) });
    expect(last.counters.attempts).toBe(0);
  });

  it('a session that runs to an end in between resets the lost-worker count', () => {
    const c = counters({ workerLosses: MAX_WORKER_LOSSES - 1 });
    expect(judgeSession(failed('transient'), c, ctx).counters.workerLosses).toBe(0);
    expect(judgeSession({ kind: 'stalled', error: 'quiet' }, c, ctx).counters.workerLosses).toBe(0);
    expect(judgeSession({ kind: 'done' }, c, ctx).counters.workerLosses).toBe(0);
    expect(judgeSession({ kind: 'done' }, counters({ recentFailures: ['a', 'a'] }), ctx).counters.recentFailures).toEqual([]);
    // A hand-over or a pause says nothing about lost workers.
    expect(judgeSession({ kind: 'handed-over' }, c, ctx).counters.workerLosses).toBe(MAX_WORKER_LOSSES - 1);
  });

  it('a transient failure spends an attempt and retries after the interval, then asks the person (escalated)', () => {
    const first = judgeSession(failed('transient'), counters(), ctx);
    expect(first.decision).toEqual({ kind: 'retry' });
    expect(first.counters.attempts).toBe(1);
    expect(first.record).toEqual({ outcome: 'failed', error: 'agent exit 1: transient' });
    const second = judgeSession(failed('transient'), first.counters, ctx);
    expect(second.decision).toEqual({ kind: 'retry' });
    const third = judgeSession(failed('transient', { error: 'boom' }), second.counters, ctx);
    expect(third.decision).toEqual({ kind: 'escalate', reason: 'escalated', message: 'checkpoint 1, task group a failed 3 times; last error: boom' });
    expect(third.counters.attempts).toBe(3);
  });

  it('one attempt allowed: the first failure asks the person', () => {
    expect(judgeSession(failed('transient'), counters(), { ...ctx, maxAttempts: 1 }).decision).toMatchObject({ kind: 'escalate', reason: 'escalated' });
  });

  it('a stall spends an attempt; after the last one the reason is stalled', () => {
    const v = judgeSession({ kind: 'stalled', error: 'no output for 60s' }, counters({ attempts: 1 }), ctx);
    expect(v.decision).toEqual({ kind: 'retry' });
    expect(v.record).toEqual({ outcome: 'stalled', error: 'no output for 60s' });
    expect(judgeSession({ kind: 'stalled', error: 'x' }, counters({ attempts: 2 }), ctx).decision).toMatchObject({ kind: 'escalate', reason: 'stalled' });
  });

  it('a crashed activity (too long, could not start) is a plain failure', () => {
    const v = judgeSession({ kind: 'crashed', error: 'ran longer than --max-session-time' }, counters(), ctx);
    expect(v.decision).toEqual({ kind: 'retry' });
    expect(v.record?.outcome).toBe('failed');
  });

  it.each(['auth', 'budget-exceeded', 'permission-blocked', 'stuck'] as const)('%s: the person at once, with the reason, never spending an attempt', (failureClass) => {
    for (const attempts of [0, 1, 2]) {
      const v = judgeSession(failed(failureClass, { error: `agent exit 1: fix it (${failureClass})` }), counters({ attempts }), ctx);
      expect(v.decision).toEqual({ kind: 'escalate', reason: failureClass, message: `checkpoint 1, task group a: agent exit 1: fix it (${failureClass})` });
      expect(v.counters.attempts).toBe(attempts);
      expect(v.record).toEqual({ outcome: failureClass, error: `agent exit 1: fix it (${failureClass})` });
    }
  });

  it('auth carries the adapter message naming the fix', () => {
    const ending = stepEnding({ kind: 'done', result: result({ failureClass: 'auth', failureMessage: 'not logged in: run `claude /login` or set ANTHROPIC_API_KEY' }) }, limits, false);
    const v = judgeSession(ending, counters(), ctx);
    expect(v.decision).toMatchObject({ kind: 'escalate', reason: 'auth', message: expect.stringContaining('run `claude /login` or set ANTHROPIC_API_KEY') });
  });

  it('rate-limited: parks until the reset without spending an attempt', () => {
    const v = judgeSession(failed('rate-limited', { resetAt: '2026-12-02T20:00:00.000Z' }), counters({ attempts: 1 }), ctx);
    expect(v.decision).toEqual({ kind: 'park', resetAt: '2026-12-02T20:00:00.000Z' });
    expect(v.counters).toMatchObject({ attempts: 1, parks: 1 });
    expect(v.record?.outcome).toBe('rate-limited');
  });

  it(`rate-limited ${MAX_RATE_LIMIT_PARKS} times in a row parks each time, then asks the person (rate-limited)`, () => {
    let c = freshCounters();
    for (let i = 0; i < MAX_RATE_LIMIT_PARKS; i++) {
      const v = judgeSession(failed('rate-limited'), c, ctx);
      expect(v.decision.kind).toBe('park');
      c = v.counters;
    }
    const v = judgeSession(failed('rate-limited'), c, ctx);
    expect(v.decision).toMatchObject({ kind: 'escalate', reason: 'rate-limited' });
    expect(v.counters.attempts).toBe(0);
  });

  it('any other failure ends a run of parks', () => {
    const v = judgeSession(failed('transient'), counters({ parks: MAX_RATE_LIMIT_PARKS }), ctx);
    expect(v.counters.parks).toBe(0);
    expect(judgeSession(failed('rate-limited'), v.counters, ctx).decision.kind).toBe('park');
  });

  it(`the same last line ${STUCK_REPEATS} failed sessions in a row is stuck: the person at once`, () => {
    let c = freshCounters();
    const same = failed('transient', { lastLine: 'Error: cannot find module foo' });
    c = judgeSession(same, c, { ...ctx, maxAttempts: 10 }).counters;
    c = judgeSession(same, c, { ...ctx, maxAttempts: 10 }).counters;
    expect(c.attempts).toBe(2);
    const v = judgeSession(same, c, { ...ctx, maxAttempts: 10 });
    expect(v.decision).toMatchObject({ kind: 'escalate', reason: 'stuck', message: expect.stringContaining('Error: cannot find module foo') });
    expect(v.counters.attempts).toBe(2);
    expect(v.record?.outcome).toBe('stuck');
  });

  it('the same last line on what is the last attempt anyway is a plain failure: escalated, with the count', () => {
    const same = failed('transient', { lastLine: 'compile error' });
    let c = freshCounters();
    c = judgeSession(same, c, ctx).counters;
    c = judgeSession(same, c, ctx).counters;
    const v = judgeSession(same, c, ctx);
    expect(v.decision).toMatchObject({ kind: 'escalate', reason: 'escalated', message: expect.stringContaining('failed 3 times') });
    expect(v.counters.attempts).toBe(3);
    // An agent that reports stuck itself goes to the person at once, whatever the count.
    expect(judgeSession(failed('stuck'), counters({ attempts: 2 }), ctx).decision).toMatchObject({ kind: 'escalate', reason: 'stuck' });
  });

  it('different last lines are not stuck, and only the last five are kept', () => {
    let c = freshCounters();
    for (let i = 0; i < 8; i++) c = judgeSession(failed('transient', { lastLine: `try ${i}` }), c, { ...ctx, maxAttempts: 100 }).counters;
    expect(c.recentFailures).toEqual(['try 3', 'try 4', 'try 5', 'try 6', 'try 7']);
    expect(c.attempts).toBe(8);
  });

  it('a resumed agent session that is gone runs again at once with a fresh session, no attempt spent', () => {
    const v = judgeSession(failed('transient', { sessionGone: true, resumed: true }), counters({ attempts: 1 }), ctx);
    expect(v.decision).toEqual({ kind: 'rerun', why: 'session-gone' });
    expect(v.forgetAgentSession).toBe(true);
    expect(v.counters.attempts).toBe(1);
  });

  it('session gone without a resume is an ordinary failure, but still starts fresh next time', () => {
    const v = judgeSession(failed('transient', { sessionGone: true, resumed: false }), counters(), ctx);
    expect(v.decision).toEqual({ kind: 'retry' });
    expect(v.forgetAgentSession).toBe(true);
    expect(judgeSession(failed('transient'), counters(), ctx).forgetAgentSession).toBe(false);
  });

  it("a person's retry starts the step over", () => {
    expect(afterPersonRetry(counters({ attempts: 3, parks: 2, workerLosses: 10, recentFailures: ['a', 'a'] }))).toEqual(freshCounters());
  });
});

describe('stepEnding: how the watched session ended, in the policy\'s terms', () => {
  it('a heartbeat timeout is a lost worker; another timeout is a session that ran too long', () => {
    expect(stepEnding({ kind: 'failed', message: 'x', timeout: 'heartbeat' }, limits, false)).toMatchObject({ kind: 'worker-lost' });
    expect(stepEnding({ kind: 'failed', message: 'x', timeout: 'other' }, limits, false)).toEqual({ kind: 'crashed', error: 'the session ran longer than --max-session-time (3600s)' });
    expect(stepEnding({ kind: 'failed', message: 'could not start', timeout: null }, limits, false)).toEqual({ kind: 'crashed', error: 'could not start' });
  });

  it('stall, interruption and hand-over pass through', () => {
    expect(stepEnding({ kind: 'stalled' }, limits, false)).toEqual({ kind: 'stalled', error: 'no output for 60s' });
    expect(stepEnding({ kind: 'interrupted' }, limits, false)).toEqual({ kind: 'interrupted' });
    expect(stepEnding({ kind: 'handed-over' }, limits, false)).toEqual({ kind: 'handed-over' });
  });

  it('a finished session: ok is done; otherwise its class, message and reset time', () => {
    expect(stepEnding({ kind: 'done', result: result({ ok: true, exitCode: 0, failureClass: null }) }, limits, false)).toEqual({ kind: 'done' });
    expect(stepEnding({ kind: 'done', result: result({ failureClass: 'rate-limited', resetAt: '2026-12-03T00:00:00.000Z', failureMessage: 'limit' }) }, limits, true)).toEqual({
      kind: 'failed',
      failureClass: 'rate-limited',
      error: 'agent exit 1: limit',
      lastLine: 'last words',
      resetAt: '2026-12-03T00:00:00.000Z',
      sessionGone: false,
      resumed: true,
    });
  });

  it('the error prefers the failure message, then stderr, then the last line; a signal is named', () => {
    expect(stepEnding({ kind: 'done', result: result({ failureMessage: null }) }, limits, false)).toMatchObject({ error: 'agent exit 1: stderr tail' });
    expect(stepEnding({ kind: 'done', result: result({ stderrTail: '' }) }, limits, false)).toMatchObject({ error: 'agent exit 1: last words' });
    expect(stepEnding({ kind: 'done', result: result({ exitCode: null, signal: 'SIGKILL' }) }, limits, false)).toMatchObject({ error: 'agent killed by SIGKILL: stderr tail' });
    expect(stepEnding({ kind: 'done', result: result({ failureClass: null }) }, limits, false)).toMatchObject({ failureClass: 'transient' });
    expect(stepEnding({ kind: 'done', result: result({ sessionGone: true }) }, limits, true)).toMatchObject({ sessionGone: true, resumed: true });
  });
});
