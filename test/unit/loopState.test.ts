import { parseLoopRequest } from '../../src/client/loops';
import type { LoopRequestInput } from '../../src/model/loopRequest';
import { loopPrompt } from '../../src/model/loopPrompt';
import {
  acceptCompletion,
  addCost,
  applyLoopOverride,
  applyLoopRetry,
  beginSession,
  claimedCompletion,
  countersOf,
  finishLoop,
  initialLoopState,
  isLoopFinished,
  limitBeforeSession,
  type LoopState,
  rejectCompletion,
  sessionDone,
  sessionJudged,
  sessionOverBudget,
  sessionSummary,
  toLoopStatus,
  validateLoopOverride,
  validateLoopRetry,
} from '../../src/workflows/loop/state';
import { freshCounters, judgeSession } from '../../src/workflows/shared/stepPolicy';

const T0 = '2026-11-21T00:00:00.000Z';

function fresh(extra: Partial<LoopRequestInput> = {}, counters?: Parameters<typeof initialLoopState>[3]): LoopState {
  const request = parseLoopRequest({ taskName: 'api', task: 'Build a REST API', repo: '/tmp/repo', ...extra });
  return initialLoopState(request, 'loop-api', T0, counters);
}

/** A failed attempt of the current session, judged by the step policy as the loop does. */
function fail(s: LoopState, error: string): 'retry' | 'escalate' {
  const counters = { ...freshCounters(), attempts: s.attempts, recentFailures: s.recentFailures ?? [] };
  const verdict = judgeSession({ kind: 'crashed', error }, counters, { subject: 'session', maxAttempts: s.request.policy.maxAttempts });
  sessionJudged(s, verdict.counters, verdict.record?.error ?? null);
  return verdict.decision.kind === 'retry' ? 'retry' : 'escalate';
}

/** A session that ran to its end without completing. */
function runOne(s: LoopState, cost = 0): number {
  const n = beginSession(s);
  addCost(s, cost);
  sessionDone(s);
  return n;
}

describe('loop state', () => {
  it('starts running with zero counters and structured mode by default', () => {
    const s = fresh();
    expect(s.status).toBe('running');
    expect(s.request.mode).toBe('structured');
    expect(countersOf(s)).toEqual({ sessions: 0, costUsd: 0, falseCompletionCount: 0, falseCompletions: [] });
    expect(limitBeforeSession(s)).toBeNull();
  });

  it('numbers sessions up, and a retried session keeps its number', () => {
    const s = fresh({ policy: { maxAttempts: 3 } });
    expect(beginSession(s)).toBe(1);
    expect(fail(s, 'exit 1')).toBe('retry');
    expect(beginSession(s)).toBe(1);
    expect(fail(s, 'exit 1')).toBe('retry');
    expect(beginSession(s)).toBe(1);
    expect(fail(s, 'exit 2: boom')).toBe('escalate');
    expect(s.lastError).toBe('exit 2: boom');
    sessionDone(s);
    expect(s.attempts).toBe(0);
    expect(beginSession(s)).toBe(2);
    expect(s.sessions).toBe(2);
    expect(s.run.sessions).toBe(2);
  });

  it('stops at max sessions for this runner, but never before retrying the current session', () => {
    const s = fresh({ maxSessions: 2 });
    runOne(s);
    expect(limitBeforeSession(s)).toBeNull();
    beginSession(s);
    fail(s, 'exit 1');
    // Session 2 failed and is retried: not a new session, so the limit does not apply yet.
    expect(limitBeforeSession(s)).toBeNull();
    sessionDone(s);
    expect(limitBeforeSession(s)).toEqual({ status: 'max-sessions-reached', reason: expect.stringContaining('2 of at most 2') });
  });

  it('stops when this runner has spent its budget; missing or bad costs count as 0', () => {
    const s = fresh({ buildBudgetUsd: 1 });
    runOne(s, 0.4);
    runOne(s, Number.NaN);
    runOne(s, -3);
    expect(s.costUsd).toBeCloseTo(0.4);
    expect(limitBeforeSession(s)).toBeNull();
    runOne(s, 0.6);
    expect(limitBeforeSession(s)).toEqual({ status: 'budget-exceeded', reason: expect.stringContaining('$1.00') });
  });

  it('a session costing more than the per-session budget ends the loop', () => {
    const s = fresh({ sessionBudgetUsd: 5 });
    expect(sessionOverBudget(s, 5)).toBe(false);
    expect(sessionOverBudget(s, 5.01)).toBe(true);
    expect(sessionOverBudget(s, null)).toBe(false);
    expect(sessionOverBudget(fresh(), 100)).toBe(false);
  });

  it('a continued runner keeps the totals and gets its own limits', () => {
    const first = fresh({ maxSessions: 2 });
    runOne(first, 1);
    runOne(first, 2);
    rejectCompletion(first, 'promise', 2, 'tests fail', T0);
    expect(limitBeforeSession(first)?.status).toBe('max-sessions-reached');
    const next = fresh({ maxSessions: 2 }, countersOf(first));
    expect(next.sessions).toBe(2);
    expect(next.costUsd).toBe(3);
    expect(next.falseCompletionCount).toBe(1);
    expect(limitBeforeSession(next)).toBeNull();
    expect(beginSession(next)).toBe(3);
    expect(next.run.sessions).toBe(1);
    // The carried list is a copy: the old state does not change with the new one.
    rejectCompletion(next, 'promise', 3, 'still failing', T0);
    expect(first.falseCompletions).toHaveLength(1);
  });

  describe('completion', () => {
    it('is claimed by the promise in both modes, by ticked boxes only in structured mode', () => {
      expect(claimedCompletion('lightweight', true, null)).toBe('promise');
      expect(claimedCompletion('structured', true, { done: 0, total: 3 })).toBe('promise');
      expect(claimedCompletion('structured', false, { done: 3, total: 3 })).toBe('checkboxes');
      expect(claimedCompletion('structured', false, { done: 2, total: 3 })).toBeNull();
      expect(claimedCompletion('structured', false, { done: 0, total: 0 })).toBeNull();
      expect(claimedCompletion('lightweight', false, { done: 3, total: 3 })).toBeNull();
      expect(claimedCompletion('structured', false, null)).toBeNull();
    });

    it('a refused claim is a false completion, shown once in the status and told to the next session', () => {
      const s = fresh({ verify: 'npm test' });
      rejectCompletion(s, 'promise', 1, 'FAIL src/app.test.ts', T0);
      const view = toLoopStatus(s);
      expect(view.falseCompletionCount).toBe(1);
      expect(view.falseCompletions).toEqual([{ session: 1, by: 'promise', output: 'FAIL src/app.test.ts', at: T0 }]);
      expect(s.rejection).toContain('`npm test` failed');
      expect(s.rejection).toContain('FAIL src/app.test.ts');
      acceptCompletion(s, 'promise', 2, true);
      expect(s.rejection).toBeNull();
      expect(toLoopStatus(s).completion).toEqual({ by: 'promise', session: 2, verified: true });
    });

    it('keeps only the latest false completions, but counts them all', () => {
      const s = fresh();
      for (let i = 1; i <= 25; i++) rejectCompletion(s, 'checkboxes', i, 'x'.repeat(5000), T0);
      expect(s.falseCompletionCount).toBe(25);
      expect(s.falseCompletions).toHaveLength(20);
      expect(s.falseCompletions[0]?.session).toBe(6);
      expect((s.falseCompletions[0]?.output.length ?? 0) <= 2001).toBe(true);
    });
  });

  describe('decisions', () => {
    it('retry and override apply only to a failed session', () => {
      const s = fresh();
      expect(validateLoopRetry(s)).toMatch(/no failed session/);
      expect(validateLoopOverride(s, 'ok')).toMatch(/not waiting/);
      s.status = 'awaiting-human';
      expect(validateLoopRetry(s)).toBeUndefined();
      expect(validateLoopOverride(s, ' ')).toMatch(/needs a note/);
      expect(validateLoopOverride(s, 'fine')).toBeUndefined();
      applyLoopOverride(s, 'fine');
      expect(s.pendingDecision).toEqual({ kind: 'override', note: 'fine' });
      applyLoopRetry(s);
      expect(s.pendingDecision).toEqual({ kind: 'retry' });
    });

    it('retry while parked on a usage limit ends the park, though no attempt was spent', () => {
      const s = fresh();
      beginSession(s);
      expect(validateLoopRetry(s)).toMatch(/no failed session to retry/);
      s.status = 'rate-limited';
      expect(validateLoopRetry(s)).toBeUndefined();
      applyLoopRetry(s);
      expect(s.retryNow).toBe(true);
    });

    it('retry during the wait between attempts cuts the wait short', () => {
      const s = fresh();
      beginSession(s);
      fail(s, 'exit 1');
      expect(validateLoopRetry(s)).toBeUndefined();
      applyLoopRetry(s);
      expect(s.retryNow).toBe(true);
      expect(s.pendingDecision).toBeNull();
    });
  });

  it('finishes with a terminal status and a reason', () => {
    const s = fresh();
    finishLoop(s, 'max-sessions-reached', 'ran 5 of at most 5', '2026-11-21T01:00:00.000Z');
    expect(isLoopFinished(s)).toBe(true);
    const v = toLoopStatus(s);
    expect(v).toMatchObject({ status: 'max-sessions-reached', stopReason: 'ran 5 of at most 5', finishedAt: '2026-11-21T01:00:00.000Z' });
    expect(v.dir).toBe('/tmp/repo/.autonomous/api');
    expect(v.sessionLogs).toBe('/tmp/repo/.autonomous/api/sessions');
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('summarises a session for its commit subject in at most 72 characters, without the promise tag', () => {
    expect(sessionSummary('added the todo routes')).toBe('added the todo routes');
    expect(sessionSummary('all done <promise>DONE</promise>')).toBe('all done');
    expect(sessionSummary('<promise>DONE</promise>')).toBe('declared completion');
    expect(sessionSummary(null)).toBe('no output');
    expect(sessionSummary('  two\tspaces  ')).toBe('two spaces');
    const long = sessionSummary('x'.repeat(100));
    expect(long).toHaveLength(72);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('loop prompts', () => {
  const base = { task: 'Build a REST API', taskName: 'api', completionPromise: 'DONE', nextItem: null, rejection: null };

  it('structured: session 1 initializes the task list, later sessions execute the next item', () => {
    const init = loopPrompt({ ...base, mode: 'structured', session: 1 });
    expect(init).toContain('initializer');
    expect(init).toContain('.autonomous/api/task_list.md');
    const exec = loopPrompt({ ...base, mode: 'structured', session: 2, nextItem: 'Add GET /todos' });
    expect(exec).toContain('executor');
    expect(exec).toContain('**Add GET /todos**');
    expect(exec).toContain('.autonomous/api/progress.md');
  });

  it('lightweight: the same prompt every session; a refusal is added once', () => {
    const one = loopPrompt({ ...base, mode: 'lightweight', session: 1 });
    expect(loopPrompt({ ...base, mode: 'lightweight', session: 7 })).toBe(one);
    expect(one).toContain('<promise>DONE</promise>');
    expect(one).not.toContain('task_list.md');
    const refused = loopPrompt({ ...base, mode: 'lightweight', session: 2, rejection: 'tests fail', verify: 'npm test' });
    expect(refused).toContain('was refused');
    expect(refused).toContain('`npm test` passes');
  });
});
