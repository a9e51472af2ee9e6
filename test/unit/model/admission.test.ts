import {
  type AdmissionCandidate,
  type AdmissionInput,
  PRIORITY_ORDER,
  compareQueueOrder,
  decideAdmission,
  queueOrder,
} from '../../../src/model/admission';
import { InvalidInputError } from '../../../src/model/errors';

let seq = 0;
function entry(patch: Partial<AdmissionCandidate> = {}): AdmissionCandidate {
  seq += 1;
  return {
    label: `task-${seq}`,
    name: `Task ${seq}`,
    description:
      'Build a Python script that fetches liked songs from the Spotify API and writes weekly playlists',
    criteria: ['Playlists created every Sunday'],
    priority: 'high',
    addedAt: '2026-02-06T09:00:00.000Z',
    blockers: [],
    risky: false,
    approved: false,
    ...patch,
  };
}

const NOON = new Date('2026-02-06T12:00:00Z'); // outside 22:00-06:00 UTC
const NIGHT = new Date('2026-02-06T23:00:00Z'); // inside 22:00-06:00 UTC

function decide(queued: AdmissionCandidate[], patch: Partial<AdmissionInput> = {}) {
  return decideAdmission({ queued, active: 0, now: NOON, ...patch });
}
const codes = (d: ReturnType<typeof decide>, label: string) =>
  d.waiting.find((w) => w.label === label)?.reasons.map((r) => r.code);

describe('queue order', () => {
  it('PRIORITY_ORDER is high, medium, low', () => {
    expect(PRIORITY_ORDER).toEqual(['high', 'medium', 'low']);
  });

  it('orders by priority, then age, then label', () => {
    const a = entry({ label: 'a', priority: 'low', addedAt: '2026-01-01T00:00:00Z' });
    const b = entry({ label: 'b', priority: 'high', addedAt: '2026-02-06T10:00:00Z' });
    const c = entry({ label: 'c', priority: 'high', addedAt: '2026-02-06T08:00:00Z' });
    const d = entry({ label: 'd', priority: 'medium', addedAt: '2026-02-06T08:00:00Z' });
    const e = entry({ label: 'e', priority: 'high', addedAt: '2026-02-06T08:00:00Z' });
    expect(queueOrder([a, b, c, d, e]).map((x) => x.label)).toEqual(['c', 'e', 'b', 'd', 'a']);
    expect(compareQueueOrder(c, e)).toBeLessThan(0);
  });

  it('compares instants, not strings, so offsets sort correctly', () => {
    const later = entry({ label: 'later', addedAt: '2026-02-06T09:30:00-06:00' }); // 15:30Z
    const earlier = entry({ label: 'earlier', addedAt: '2026-02-06T14:00:00Z' });
    expect(queueOrder([later, earlier]).map((x) => x.label)).toEqual(['earlier', 'later']);
  });
});

describe('decideAdmission', () => {
  it('starts nothing and never wakes for an empty queue', () => {
    expect(decide([])).toEqual({ start: [], waiting: [], wakeAt: null });
  });

  it('starts a high-priority entry at any time', () => {
    const high = entry();
    expect(decide([high]).start).toEqual([high.label]);
    expect(decide([high], { now: NIGHT }).start).toEqual([high.label]);
  });

  it('starts in priority order when there are slots for all', () => {
    const low = entry({ priority: 'low', approved: true, addedAt: '2026-01-01T00:00:00Z' });
    const medium = entry({ priority: 'medium', addedAt: '2026-01-02T00:00:00Z' });
    const high = entry({ priority: 'high', addedAt: '2026-02-06T00:00:00Z' });
    const d = decide([low, medium, high], { now: NIGHT, policy: { concurrency: 3 } });
    expect(d.start).toEqual([high.label, medium.label, low.label]);
    expect(d.waiting).toEqual([]);
  });

  it('breaks priority ties by age: the older entry starts, the newer waits for the slot', () => {
    const newer = entry({ addedAt: '2026-02-06T11:00:00Z' });
    const older = entry({ addedAt: '2026-02-06T10:00:00Z' });
    const d = decide([newer, older]);
    expect(d.start).toEqual([older.label]);
    expect(d.waiting).toEqual([
      {
        label: newer.label,
        position: 1,
        reasons: [
          {
            code: 'concurrency',
            message: `1 build is running and at most 1 may run at once: "${newer.name}" starts when one finishes.`,
          },
        ],
      },
    ]);
  });

  it('starts nothing while the one slot is taken', () => {
    const high = entry();
    const d = decide([high], { active: 1 });
    expect(d.start).toEqual([]);
    expect(codes(d, high.label)).toEqual(['concurrency']);
    expect(d.waiting[0]?.reasons[0]?.message).toMatch(/^1 build is running and at most 1 may run at once/);
  });

  it('never starts more than the free slots', () => {
    const queued = [entry(), entry(), entry(), entry()];
    expect(decide(queued, { policy: { concurrency: 3 }, active: 1 }).start).toHaveLength(2);
    expect(decide(queued, { policy: { concurrency: 2 } }).start).toEqual([
      queued[0]?.label,
      queued[1]?.label,
    ]);
    expect(decide(queued, { policy: { concurrency: 1 }, active: 3 }).start).toEqual([]);
  });

  it('starts a medium entry only inside the off-hours window, and wakes when it opens', () => {
    const medium = entry({ priority: 'medium' });
    const day = decide([medium]);
    expect(day.start).toEqual([]);
    expect(codes(day, medium.label)).toEqual(['window']);
    expect(day.waiting[0]?.reasons[0]?.message).toContain('22:00-06:00 UTC');
    expect(day.wakeAt).toBe('2026-02-06T22:00:00.000Z');
    expect(decide([medium], { now: NIGHT })).toEqual({ start: [medium.label], waiting: [], wakeAt: null });
  });

  it('keeps the window open past midnight until 06:00', () => {
    const medium = entry({ priority: 'medium' });
    expect(decide([medium], { now: new Date('2026-02-07T02:00:00Z') }).start).toEqual([medium.label]);
    expect(decide([medium], { now: new Date('2026-02-07T05:59:00Z') }).start).toEqual([medium.label]);
    const morning = decide([medium], { now: new Date('2026-02-07T06:00:00Z') });
    expect(morning.start).toEqual([]);
    expect(morning.wakeAt).toBe('2026-02-07T22:00:00.000Z');
  });

  it('reads the window in the policy time zone', () => {
    const medium = entry({ priority: 'medium' });
    // 23:00 UTC is inside the window in UTC, but 17:00 in Chicago.
    expect(decide([medium], { now: NIGHT }).start).toEqual([medium.label]);
    const chicago = decide([medium], { now: NIGHT, policy: { timeZone: 'America/Chicago' } });
    expect(chicago.start).toEqual([]);
    expect(chicago.wakeAt).toBe('2026-02-07T04:00:00.000Z'); // 22:00 CST
    expect(
      decide([medium], { now: new Date('2026-02-07T05:00:00Z'), policy: { timeZone: 'America/Chicago' } })
        .start,
    ).toEqual([medium.label]);
  });

  it('wakes at 22:00 local time across a DST change', () => {
    const medium = entry({ priority: 'medium' });
    const d = decide([medium], {
      now: new Date('2026-03-08T12:00:00Z'),
      policy: { timeZone: 'America/Chicago' },
    });
    expect(d.wakeAt).toBe('2026-03-09T03:00:00.000Z'); // 22:00 CDT
  });

  it('uses a custom window', () => {
    const medium = entry({ priority: 'medium' });
    expect(decide([medium], { policy: { offHours: '11:00-13:00' } }).start).toEqual([medium.label]);
    expect(decide([medium], { policy: { offHours: '13:00-14:00' } }).wakeAt).toBe('2026-02-06T13:00:00.000Z');
  });

  it('never starts a low entry without approval, not even at night with free slots', () => {
    const low = entry({ priority: 'low' });
    const d = decide([low], { now: NIGHT, policy: { concurrency: 5 } });
    expect(d.start).toEqual([]);
    expect(codes(d, low.label)).toEqual(['approval']);
    expect(d.waiting[0]?.reasons[0]?.message).toBe(
      `"${low.name}" is low priority, which never starts on its own: approve it to let it start.`,
    );
    expect(d.wakeAt).toBeNull();
  });

  it('starts an approved low entry like a high one, at any time', () => {
    const low = entry({ priority: 'low', approved: true });
    expect(decide([low]).start).toEqual([low.label]);
  });

  it('keeps an entry with open blockers waiting, and gives its slot to the next one', () => {
    const blocked = entry({
      addedAt: '2026-02-01T00:00:00Z',
      blockers: ['Waiting for Google API credentials'],
    });
    const next = entry({ addedAt: '2026-02-05T00:00:00Z' });
    const d = decide([blocked, next]);
    expect(d.start).toEqual([next.label]);
    expect(codes(d, blocked.label)).toEqual(['blocker']);
    expect(d.waiting[0]?.reasons[0]?.message).toContain('blocked by "Waiting for Google API credentials"');
  });

  it('does not count "None" as a blocker', () => {
    const e = entry({ blockers: ['None'] });
    expect(decide([e]).start).toEqual([e.label]);
  });

  it('never starts an unapproved risky entry; approval lets it start', () => {
    const marked = entry({ risky: true });
    const detected = entry({
      description: 'Send the weekly digest email to all subscribers from the marketing list',
    });
    const d = decide([marked, detected], { policy: { concurrency: 2 } });
    expect(d.start).toEqual([]);
    expect(codes(d, marked.label)).toEqual(['risky']);
    expect(codes(d, detected.label)).toEqual(['risky']);
    expect(d.waiting[1]?.reasons[0]?.message).toContain('send emails or messages');
    expect(decide([{ ...marked, approved: true }]).start).toEqual([marked.label]);
  });

  it('approval does not lift blockers', () => {
    const e = entry({ approved: true, priority: 'low', blockers: ['Design review'] });
    expect(decide([e]).start).toEqual([]);
    expect(codes(decide([e]), e.label)).toEqual(['blocker']);
  });

  it('holds an entry with unclear requirements for review unless approved as it is', () => {
    const vague = entry({
      name: 'Spotify Thing',
      description: 'Do Spotify stuff',
      criteria: ['When it works'],
    });
    const d = decide([vague]);
    expect(d.start).toEqual([]);
    expect(codes(d, vague.label)).toEqual(['approval']);
    expect(d.waiting[0]?.reasons[0]?.message).toMatch(
      /unclear requirements.*"Do Spotify stuff" is too vague.*Or approve it as it is\.$/,
    );
    expect(decide([{ ...vague, approved: true }]).start).toEqual([vague.label]);
  });

  it('lists every reason an entry waits, in a stable order', () => {
    const e = entry({ priority: 'low', risky: true, blockers: ['API key'] });
    expect(codes(decide([e], { active: 1 }), e.label)).toEqual([
      'blocker',
      'risky',
      'approval',
      'concurrency',
    ]);
    const m = entry({ priority: 'medium', blockers: ['API key'] });
    expect(codes(decide([m]), m.label)).toEqual(['blocker', 'window']);
  });

  it('numbers waiting entries in queue order', () => {
    const low = entry({ priority: 'low', addedAt: '2026-01-01T00:00:00Z' });
    const medium = entry({ priority: 'medium', addedAt: '2026-02-03T00:00:00Z' });
    const high1 = entry({ addedAt: '2026-02-02T00:00:00Z' });
    const high2 = entry({ addedAt: '2026-02-04T00:00:00Z' });
    const d = decide([low, medium, high2, high1]);
    expect(d.start).toEqual([high1.label]);
    expect(d.waiting.map((w) => [w.label, w.position])).toEqual([
      [high2.label, 1],
      [medium.label, 2],
      [low.label, 3],
    ]);
  });

  it('wakes for the window only when a medium entry waits for nothing else', () => {
    const medium = entry({ priority: 'medium' });
    // Slot taken: it waits for the window and for the slot; the end of the running build re-decides.
    expect(decide([medium], { active: 1 }).wakeAt).toBeNull();
    // Blocked: opening the window changes nothing.
    expect(decide([{ ...medium, blockers: ['API key'] }]).wakeAt).toBeNull();
    // A high entry takes the only slot, so the medium waits for both.
    const high = entry();
    expect(decide([high, medium]).wakeAt).toBeNull();
    // With two slots, the medium waits only for the window.
    expect(decide([high, medium], { policy: { concurrency: 2 } })).toMatchObject({
      start: [high.label],
      wakeAt: '2026-02-06T22:00:00.000Z',
    });
  });

  it('lets a later eligible entry start ahead of a medium entry waiting for the window', () => {
    const medium = entry({ priority: 'medium', addedAt: '2026-01-01T00:00:00Z' });
    const low = entry({ priority: 'low', approved: true, addedAt: '2026-02-06T00:00:00Z' });
    expect(decide([medium, low]).start).toEqual([low.label]);
  });

  it.each([
    [{ concurrency: 0 }, /concurrency/],
    [{ offHours: 'late' }, /offHours: expected a window like "22:00-06:00"/],
    [{ timeZone: 'Mars/Olympus_Mons' }, /timeZone: expected an IANA time zone/],
  ])('refuses the policy %j', (policy, message) => {
    expect(() => decide([entry()], { policy })).toThrow(InvalidInputError);
    expect(() => decide([entry()], { policy })).toThrow(message);
  });

  it('does not change its input', () => {
    const queued = [entry({ addedAt: '2026-02-06T11:00:00Z' }), entry({ addedAt: '2026-02-06T10:00:00Z' })];
    const labels = queued.map((q) => q.label);
    decide(queued);
    expect(queued.map((q) => q.label)).toEqual(labels);
  });
});
