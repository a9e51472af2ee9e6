import { parseBuildRequest } from '../../src/client/builds';
import { progressInterval } from '../../src/workflows/build/build';
import { rateLimitWait } from '../../src/workflows/shared/rateLimit';
import {
  applyFeedback,
  applyOverride,
  applyPause,
  applyResume,
  applyRetry,
  applySkip,
  type BuildState,
  initialState,
  percentComplete,
  takeFeedback,
  toStatus,
  validateFeedback,
  validateOverride,
  validatePause,
  validateResume,
  validateRetry,
  validateSkip,
} from '../../src/workflows/build/state';
import { samplePlan } from '../support/repo';

function fresh(extra: Record<string, unknown> = {}): BuildState {
  const request = parseBuildRequest({ label: 'demo', repo: '/tmp/repo', plan: samplePlan(3), ...extra });
  return initialState(request, { workflowId: 'build-demo', runId: 'run-1' }, '2026-11-21T00:00:00.000Z');
}

describe('build state', () => {
  it('starts running with every checkpoint pending', () => {
    const s = fresh();
    expect(s.status).toBe('running');
    expect(s.checkpoints.map((c) => c.status)).toEqual(['pending', 'pending', 'pending']);
    expect(percentComplete(s)).toBe(0);
  });

  it('marks checkpoints a seed session already completed, unless one is asked for explicitly', () => {
    expect(fresh({ completed: ['1'] }).checkpoints.map((c) => c.status)).toEqual(['completed', 'pending', 'pending']);
    const only = fresh({ completed: ['1'], only: { checkpoint: '1' } });
    expect(only.checkpoints.map((c) => [c.id, c.status])).toEqual([['1', 'pending']]);
  });

  it('narrows to one task group for --task-group', () => {
    const s = fresh({ only: { checkpoint: '2', taskGroup: '2.1' } });
    expect(s.checkpoints).toHaveLength(1);
    expect(s.checkpoints[0]?.taskGroups.map((g) => g.id)).toEqual(['2.1']);
  });

  it('pause and resume', () => {
    const s = fresh();
    expect(validateResume(s)).toMatch(/not paused/);
    applyPause(s, { now: true, reason: 'lunch' });
    expect(s.pauseRequested).toEqual({ now: true, reason: 'lunch' });
    expect(validateResume(s)).toBeUndefined();
    s.status = 'paused';
    expect(validatePause(s)).toMatch(/already paused/);
    applyResume(s);
    expect(s.pauseRequested).toBeNull();
  });

  it('a pause signal without input (temporal workflow signal --name pause) pauses at the boundary', () => {
    const s = fresh();
    applyPause(s, undefined);
    expect(s.pauseRequested).toEqual({ now: false });
  });

  it('override is refused unless the build awaits a decision, and needs a note', () => {
    const s = fresh();
    expect(validateOverride(s, { note: 'fine' })).toMatch(/not waiting for a decision \(it is running\)/);
    s.status = 'awaiting-human';
    expect(validateOverride(s, { note: '  ' })).toMatch(/needs a note/);
    expect(validateOverride(s, { note: 'fine' })).toBeUndefined();
    applyOverride(s, { note: 'fine' });
    expect(s.pendingDecision).toEqual({ kind: 'override', note: 'fine' });
  });

  it('retry decides when awaiting a decision, and cuts the wait short while backing off', () => {
    const s = fresh();
    expect(validateRetry(s)).toMatch(/no failed step waiting/);
    // A failed attempt alone is not enough: only a step that waits can be retried.
    s.attempts.push({ step: 'x', session: 1, outcome: 'failed', error: 'boom', at: '' });
    expect(validateRetry(s)).toMatch(/no failed step waiting/);
    s.retryWaiting = true;
    expect(validateRetry(s)).toBeUndefined();
    applyRetry(s);
    expect(s.retryNow).toBe(true);
    s.status = 'awaiting-human';
    applyRetry(s);
    expect(s.pendingDecision).toEqual({ kind: 'retry' });
  });

  it('skip needs a started checkpoint and is refused while verifying or committing', () => {
    const s = fresh();
    expect(validateSkip(s, { note: 'n' })).toMatch(/has not started/);
    s.position = { checkpoint: '1', taskGroup: '1.1' };
    expect(validateSkip(s, { note: 'n' })).toBeUndefined();
    s.status = 'verifying';
    expect(validateSkip(s, { note: 'n' })).toMatch(/is verifying/);
    s.status = 'running';
    applySkip(s, { note: 'not needed' });
    expect(s.pendingDecision).toEqual({ kind: 'skip', note: 'not needed' });
  });

  it('feedback is given to the next session once', () => {
    const s = fresh();
    expect(validateFeedback(s, { message: '' })).toMatch(/needs a message/);
    applyFeedback(s, { message: 'use pnpm' });
    applyFeedback(s, { message: 'keep it small' });
    expect(takeFeedback(s)).toEqual(['use pnpm', 'keep it small']);
    expect(takeFeedback(s)).toEqual([]);
  });

  it('nothing can be steered once the build is finished', () => {
    const s = fresh();
    s.status = 'completed';
    s.position = { checkpoint: '1', taskGroup: null };
    expect(validatePause(s)).toMatch(/completed/);
    expect(validateSkip(s, { note: 'x' })).toMatch(/completed/);
    expect(validateFeedback(s, { message: 'x' })).toMatch(/completed/);
  });

  it('the status view has what `status --json` promises', () => {
    const s = fresh();
    s.checkpoints[0]!.status = 'completed';
    s.checkpoints[0]!.commit = 'abc';
    s.devNotes.push({ scope: { type: 'task', ref: '1.1' }, category: 'discovery', content: 'x', at: 't' });
    const v = toStatus(s);
    expect(v).toMatchObject({ label: 'demo', workflowId: 'build-demo', status: 'running', percentComplete: 33 });
    expect(v.checkpoints[0]).toMatchObject({ id: '1', title: 'Step 1', status: 'completed', commit: 'abc' });
    expect(v.devNotes).toEqual([{ category: 'discovery', content: 'x', scope: { type: 'task', ref: '1.1' }, at: 't' }]);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });

  it('parks a rate-limited session until the reset, at least 5 s, or the retry interval when no reset is known', () => {
    const now = Date.parse('2026-11-21T10:00:00.000Z');
    expect(rateLimitWait('2026-11-21T10:30:00.000Z', 300_000, now)).toEqual({ waitMs: 1_800_000, wakeAt: '2026-11-21T10:30:00.000Z' });
    expect(rateLimitWait('2026-11-21T09:59:00.000Z', 300_000, now).waitMs).toBe(5000);
    expect(rateLimitWait(null, 300_000, now).waitMs).toBe(300_000);
    expect(rateLimitWait('not a time', 300_000, now).waitMs).toBe(300_000);
  });

  it('throttles progress signals: at most 1/s, 8 per stall timeout, at least every 15 s', () => {
    expect(progressInterval(2000)).toBe(1000);
    expect(progressInterval(80_000)).toBe(10_000);
    expect(progressInterval(4 * 3_600_000)).toBe(15_000);
  });
});
