import type { QueueEntryInput } from '../../src/model/queueEntry';
import type { EnqueueRequest } from '../../src/workflows/queue/messages';
import {
  type QueueState,
  admission,
  approve,
  buildEnded,
  enqueue,
  initialQueueState,
  markStarted,
  prepareEnqueue,
  toQueueView,
} from '../../src/workflows/queue/state';
import { samplePlan } from '../support/repo';

const T0 = '2026-02-06T15:00:00.000Z';
const NOON = new Date(T0);

function entry(label: string, extra: Partial<QueueEntryInput> = {}): QueueEntryInput {
  return {
    name: label,
    label,
    description: `Build the ${label} feature with a Python script that reads the API and writes weekly reports`,
    criteria: [`${label} report generated`],
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

function admit(state: QueueState): string[] {
  const { start } = admission(state, NOON);
  for (const label of start) markStarted(state, label, `build-${label}`, T0);
  return start;
}

const why = (state: QueueState, label: string) => toQueueView(state, NOON).waiting.find((w) => w.label === label)?.reasons;

describe('chained builds (add --after)', () => {
  it('start only after their LABEL completed, from its branch', () => {
    const s = initialQueueState('q', { concurrency: 3, timeZone: 'UTC' });
    add(s, entry('auth'));
    add(s, entry('profile', { after: 'auth' }));
    add(s, entry('billing', { after: 'profile' }));
    expect((s.waiting.find((w) => w.entry.label === 'profile')?.run.request as { baseRef?: string }).baseRef).toBe('nightshift/auth');
    // Free slots do not start a chained entry before its LABEL is done.
    expect(admit(s)).toEqual(['auth']);
    expect(why(s, 'profile')).toEqual([{ code: 'after', message: 'waits for "auth" to complete (building now)' }]);
    expect(why(s, 'billing')).toEqual([{ code: 'after', message: 'waits for "profile" to complete (still queued)' }]);
    buildEnded(s, 'auth', { kind: 'completed', status: 'completed' }, T0);
    expect(admit(s)).toEqual(['profile']);
    buildEnded(s, 'profile', { kind: 'completed', status: 'completed' }, T0);
    expect(admit(s)).toEqual(['billing']);
  });

  it('wait, saying why, while LABEL fails, needs attention or was cancelled', () => {
    const s = initialQueueState('q', { concurrency: 2, timeZone: 'UTC', maxRetries: 1, retryInterval: '1m' });
    add(s, entry('auth'));
    add(s, entry('profile', { after: 'auth' }));
    admit(s);
    buildEnded(s, 'auth', { kind: 'failed', error: 'tests red' }, T0);
    expect(why(s, 'profile')?.[0]?.message).toBe('waits for "auth", which failed and is retried at 2026-02-06T15:01:00.000Z');
    markStarted(s, 'auth', 'build-auth', T0);
    buildEnded(s, 'auth', { kind: 'failed', error: 'tests red' }, T0);
    expect(why(s, 'profile')?.[0]?.message).toContain('waits for "auth", which failed and needs attention');
    expect(admit(s)).toEqual([]);
    approve(s, 'auth');
    markStarted(s, 'auth', 'build-auth', T0);
    buildEnded(s, 'auth', { kind: 'cancelled', error: 'cancelled' }, T0);
    expect(why(s, 'profile')?.[0]?.message).toBe('waits: "auth" was cancelled; run it again, or remove this entry');
    expect(admit(s)).toEqual([]);
  });

  it('are refused for an unknown LABEL, themselves, or with --base', () => {
    const s = initialQueueState('q');
    const problems = (e: QueueEntryInput, req: Partial<EnqueueRequest> = {}) => {
      const p = prepareEnqueue(s, { entry: e, ...req });
      return 'problems' in p ? p.problems : [];
    };
    expect(problems(entry('profile', { after: 'nope' }))).toEqual(['--after nope: queue "q" has no entry "nope" (see `nightshift status --queue`)']);
    expect(problems(entry('profile', { after: 'profile' }))).toEqual([expect.stringContaining('cannot wait for itself')]);
    expect(problems(entry('profile', { after: 'auth', kind: 'loop', plan: undefined }))).toEqual([expect.stringContaining('--after auth goes with --plan')]);
    add(s, entry('auth'));
    expect(problems(entry('profile', { after: 'auth' }), { baseRef: 'develop' })).toEqual([expect.stringContaining('give --after or --base, not both')]);
  });
});
