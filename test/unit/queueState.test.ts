import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { QueueEntryInput } from '../../src/model/queueEntry';
import type { EnqueueRequest } from '../../src/workflows/queue/messages';
import {
  type QueueState,
  admission,
  answerFor,
  approve,
  buildEnded,
  enqueue,
  initialQueueState,
  markFailed,
  markStarted,
  outcomeOfFailure,
  outcomeOfResult,
  prepareEnqueue,
  remove,
  setPolicy,
  setRunId,
  startRefused,
  toQueueView,
  validateApprove,
  validateFail,
  validateRemove,
  validateSetPolicy,
} from '../../src/workflows/queue/state';
import { samplePlan } from '../support/repo';

const T0 = '2026-02-06T15:00:00.000Z';
const at = (iso: string) => new Date(iso);
/** 15:00 UTC: outside the default 22:00-06:00 window. */
const NOON = at(T0);

function entry(name: string, extra: Partial<QueueEntryInput> = {}): QueueEntryInput {
  return {
    name,
    label: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    description: `Build the ${name} feature with a Python script that reads the API and writes weekly reports`,
    criteria: [`${name} report generated`],
    priority: 'high',
    addedAt: T0,
    repo: '/tmp/repo',
    kind: 'plan',
    plan: samplePlan(1),
    ...extra,
  };
}

function add(state: QueueState, e: QueueEntryInput, req: Partial<EnqueueRequest> = {}): void {
  const prepared = prepareEnqueue(state, { entry: e, ...req });
  if ('problems' in prepared) throw new Error(prepared.problems.join('\n'));
  enqueue(state, prepared.item);
}

function fresh(policy = {}): QueueState {
  return initialQueueState('test', { timeZone: 'UTC', retryInterval: '1m', ...policy });
}

/** Starts what admission says, as the workflow does. */
function admit(state: QueueState, now = NOON): string[] {
  const { start } = admission(state, now);
  for (const label of start) {
    markStarted(state, label, `build-${label}`, now.toISOString());
    setRunId(state, label, `run-${label}`);
  }
  return start;
}

describe('enqueue validation', () => {
  it('refuses a vague entry with every reason at once', () => {
    const prepared = prepareEnqueue(fresh(), {
      entry: entry('Spotify Thing', { description: 'Do Spotify stuff', criteria: ['When it works'], estimate: 'IDK', tech: 'Whatever' }),
    });
    expect('problems' in prepared && prepared.problems).toEqual([
      expect.stringContaining('too vague to build from'),
      expect.stringContaining('"When it works" is too vague to check'),
      expect.stringContaining('"IDK" is not a duration'),
      expect.stringContaining('"Whatever" says nothing'),
    ]);
  });

  it('refuses an entry without criteria, and a duplicate label, naming both', () => {
    const state = fresh();
    add(state, entry('Alpha'));
    const prepared = prepareEnqueue(state, { entry: entry('Alpha', { criteria: [] }) });
    expect('problems' in prepared && prepared.problems).toEqual([
      expect.stringContaining('no completion criteria'),
      expect.stringContaining('already in the queue'),
    ]);
  });

  it('refuses an invalid plan and a malformed entry with the field at fault', () => {
    const bad = prepareEnqueue(fresh(), { entry: entry('Alpha', { plan: { title: 'x', checkpoints: [] } }) });
    expect('problems' in bad && bad.problems.join('\n')).toMatch(/plan/);
    const malformed = prepareEnqueue(fresh(), { entry: { ...entry('Alpha'), label: 'Not A Label' } });
    expect('problems' in malformed && malformed.problems.join('\n')).toMatch(/^label: /);
    expect('problems' in prepareEnqueue(fresh(), undefined)).toBe(true);
  });

  it('turns a plan entry into a build request and a plain entry into a structured loop on its description', () => {
    const state = fresh();
    add(state, entry('Alpha'), { policy: { maxAttempts: 2 } });
    add(state, entry('Beta', { kind: 'loop', plan: undefined, tech: 'Python' }), { maxSessions: 4 });
    const [a, b] = state.waiting;
    expect(a?.run.kind).toBe('plan');
    expect(a?.run.kind === 'plan' && a.run.request).toMatchObject({ label: 'alpha', priority: 'high', policy: { maxAttempts: 2 } });
    expect(b?.run.kind === 'loop' && b.run.request).toMatchObject({
      taskName: 'beta',
      mode: 'structured',
      maxSessions: 4,
      criteria: ['Beta report generated'],
      task: expect.stringMatching(/^Build the Beta feature[\s\S]*Tech stack: Python$/),
    });
    // The plan lives in the run request only: state (and history) carry it once.
    expect('plan' in (a?.entry ?? {})).toBe(false);
  });
});

describe('admission', () => {
  it('starts high first, one at a time; the rest wait with their reasons', () => {
    const state = fresh();
    add(state, entry('Low one', { priority: 'low' }));
    add(state, entry('Medium one', { priority: 'medium' }));
    add(state, entry('High two', { addedAt: '2026-02-06T15:00:01.000Z' }));
    add(state, entry('High one'));
    expect(admit(state)).toEqual(['high-one']);
    const view = toQueueView(state, NOON);
    expect(view.active.map((a) => a.label)).toEqual(['high-one']);
    expect(view.waiting.map((w) => [w.position, w.label, w.reasons.map((r) => r.code)])).toEqual([
      [1, 'high-two', ['concurrency']],
      [2, 'medium-one', ['window', 'concurrency']],
      [3, 'low-one', ['approval', 'concurrency']],
    ]);
    expect(view.wakeAt).toBeNull();
    expect(answerFor(state, 'high-one', NOON)).toEqual({ label: 'high-one', position: 0, building: true, workflowId: 'build-high-one', reasons: [] });
    expect(answerFor(state, 'low-one', NOON)).toMatchObject({ position: 3, building: false, reasons: [expect.stringContaining('approve it'), expect.stringContaining('starts when one finishes')] });
  });

  it('the second high starts as soon as the first completes', () => {
    const state = fresh();
    add(state, entry('High one'));
    add(state, entry('High two', { addedAt: '2026-02-06T15:00:01.000Z' }));
    admit(state);
    const effect = buildEnded(state, 'high-one', { kind: 'completed', status: 'completed' }, '2026-02-06T15:10:00.000Z');
    expect(effect).toMatchObject({ effect: 'finished', completion: { label: 'high-one', outcome: 'completed', attempts: 0 } });
    expect(admit(state)).toEqual(['high-two']);
    expect(state.recent.map((c) => c.label)).toEqual(['high-one']);
  });

  it('a medium entry waits for the off-hours window and says when it opens', () => {
    const state = fresh({ offHours: '15:30-16:00' });
    add(state, entry('Medium one', { priority: 'medium' }));
    expect(admit(state)).toEqual([]);
    const decision = admission(state, NOON);
    expect(decision.wakeAt).toBe('2026-02-06T15:30:00.000Z');
    expect(decision.reasons.get('medium-one')?.[0]?.message).toMatch(/off-hours window \(15:30-16:00 UTC/);
    expect(admit(state, at('2026-02-06T15:30:00.000Z'))).toEqual(['medium-one']);
  });

  it('low priority and risky entries start only after approve; blockers keep holding', () => {
    const state = fresh({ concurrency: 5 });
    add(state, entry('Low one', { priority: 'low' }));
    add(state, entry('Mailer', { description: 'Send emails to all customers announcing the new pricing page and plans' }));
    add(state, entry('Blocked', { blockers: ['Waiting for API credentials'] }));
    expect(admit(state)).toEqual([]);
    const codes = Object.fromEntries(toQueueView(state, NOON).waiting.map((w) => [w.label, w.reasons.map((r) => r.code)]));
    expect(codes).toEqual({ 'low-one': ['approval'], mailer: ['risky'], blocked: ['blocker'] });
    expect(validateApprove(state, 'nope')).toMatch(/no entry "nope"/);
    approve(state, 'low-one');
    approve(state, 'mailer');
    approve(state, 'blocked');
    expect(admit(state).sort()).toEqual(['low-one', 'mailer']);
    expect(validateApprove(state, 'mailer')).toMatch(/already building/);
    expect(toQueueView(state, NOON).waiting[0]?.reasons[0]?.message).toMatch(/Waiting for API credentials/);
  });
});

describe('failures and retries', () => {
  it('retries a failed build after the interval, then holds it as needs-attention after 3 retries', () => {
    const state = fresh();
    add(state, entry('Flaky'));
    let now = NOON;
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(admit(state, now)).toEqual(['flaky']);
      const effect = buildEnded(state, 'flaky', { kind: 'failed', error: 'tests failed' }, now.toISOString());
      expect(effect).toMatchObject({ effect: 'retry', attempts: attempt, notBefore: new Date(now.getTime() + 60_000).toISOString() });
      // Not before the interval: it waits with a retry reason and a wake-up time.
      expect(admit(state, now)).toEqual([]);
      const view = toQueueView(state, now);
      expect(view.waiting[0]).toMatchObject({ status: 'retry-wait', attempts: attempt, reasons: [{ code: 'retry' }] });
      expect(view.wakeAt).toBe(new Date(now.getTime() + 60_000).toISOString());
      now = new Date(now.getTime() + 60_000);
    }
    admit(state, now);
    const last = buildEnded(state, 'flaky', { kind: 'failed', error: 'tests failed again' }, now.toISOString());
    expect(last).toMatchObject({ effect: 'escalate', attempts: 4, message: expect.stringMatching(/failed 4 times.*tests failed again.*approve it/) });
    expect(admit(state, new Date(now.getTime() + 3_600_000))).toEqual([]);
    expect(toQueueView(state, now).waiting[0]).toMatchObject({ status: 'needs-attention', reasons: [{ code: 'needs-attention' }] });
    approve(state, 'flaky');
    expect(state.waiting[0]).toMatchObject({ attempts: 0, hold: null });
    expect(admit(state, now)).toEqual(['flaky']);
  });

  it('fail marks an active build: its cancellation counts as a failed attempt', () => {
    const state = fresh();
    add(state, entry('Stuck'));
    admit(state);
    expect(validateFail(state, 'stuck')).toBeUndefined();
    markFailed(state, 'stuck', 'no progress since this morning');
    expect(validateFail(state, 'stuck')).toMatch(/already being failed/);
    const effect = buildEnded(state, 'stuck', { kind: 'cancelled', error: 'cancelled' }, T0);
    expect(effect).toMatchObject({ effect: 'retry', attempts: 1, error: 'marked failed: no progress since this morning' });
    expect(state.recent[0]).toMatchObject({ outcome: 'failed', attempts: 1 });
  });

  it('a cancelled build (not failed by the queue) and a loop that ran out of sessions are completions, not retries', () => {
    const state = fresh({ concurrency: 2 });
    add(state, entry('Cancelled'));
    add(state, entry('Loop', { kind: 'loop', plan: undefined }));
    admit(state);
    expect(buildEnded(state, 'cancelled', { kind: 'cancelled', error: 'cancelled' }, T0)).toMatchObject({ effect: 'finished', completion: { outcome: 'cancelled' } });
    expect(buildEnded(state, 'loop', outcomeOfResult({ status: 'max-sessions-reached' }), T0)).toMatchObject({
      completion: { outcome: 'max-sessions-reached', workflowId: 'build-loop' },
    });
    expect(state.waiting).toEqual([]);
    expect(buildEnded(state, 'loop', { kind: 'completed', status: 'completed' }, T0)).toBeNull();
  });

  it('validates remove and fail by where the entry is', () => {
    const state = fresh();
    add(state, entry('Running'));
    add(state, entry('Waiting'));
    admit(state);
    expect(validateRemove(state, 'running')).toMatch(/is building: cancel it/);
    expect(validateFail(state, 'waiting')).toMatch(/not building/);
    expect(validateFail(state, 'ghost')).toMatch(/no entry "ghost"/);
    expect(validateRemove(state, 'waiting')).toBeUndefined();
    remove(state, 'waiting');
    expect(state.waiting).toEqual([]);
  });

  it('a child whose id is taken is held with the reason', () => {
    const state = fresh();
    add(state, entry('Taken'));
    markStarted(state, 'taken', 'build-taken', T0);
    startRefused(state, 'taken', 'build-taken is already running');
    expect(state.active).toEqual([]);
    expect(toQueueView(state, NOON).waiting[0]).toMatchObject({ status: 'needs-attention', reasons: [{ message: 'build-taken is already running' }] });
  });

  it('reads outcomes from child failures', () => {
    expect(outcomeOfFailure(new CancelledFailure('x'), 'f')).toEqual({ kind: 'cancelled', error: 'cancelled' });
    expect(outcomeOfFailure(new TerminatedFailure('by hand'), 'f')).toEqual({ kind: 'terminated', error: 'by hand' });
    expect(outcomeOfFailure(new TimeoutFailure('t', undefined, 'START_TO_CLOSE'), 'f')).toEqual({ kind: 'timed-out', error: 'timed out' });
    expect(outcomeOfFailure(new Error('boom'), 'f')).toEqual({ kind: 'failed', error: 'boom' });
    expect(outcomeOfFailure(undefined, 'fallback')).toEqual({ kind: 'failed', error: 'fallback' });
    expect(outcomeOfResult(undefined)).toEqual({ kind: 'completed', status: 'completed' });
  });
});

describe('policy', () => {
  it('validates and merges a partial policy; an admission re-run uses it', () => {
    const state = fresh();
    add(state, entry('A'));
    add(state, entry('B', { addedAt: '2026-02-06T15:00:01.000Z' }));
    admit(state);
    expect(validateSetPolicy(state, { offHours: '25:00-01:00' })).toMatch(/invalid queue policy: offHours/);
    expect(validateSetPolicy(state, { concurrency: 0 })).toMatch(/concurrency/);
    expect(validateSetPolicy(state, { timeZone: 'Mars/Olympus' })).toMatch(/timeZone/);
    setPolicy(state, { concurrency: 2 });
    expect(state.policy).toMatchObject({ concurrency: 2, offHours: '22:00-06:00', timeZone: 'UTC', maxRetries: 3, retryInterval: 60_000 });
    expect(admit(state)).toEqual(['b']);
  });
});
