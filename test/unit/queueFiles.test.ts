import { liveFromView } from '../../src/activities/files/liveStatus';
import { renderBuildStatusMd, renderQueueMd, took } from '../../src/activities/files/queueFiles';
import { dayRange, renderReport } from '../../src/activities/files/report';
import { parseBuildQueueMd } from '../../src/model/buildQueueMd';
import { admission, buildEnded, enqueue, initialQueueState, markStarted, prepareEnqueue, toQueueView } from '../../src/workflows/queue/state';
import { samplePlan } from '../support/repo';

const NOW = new Date('2026-02-06T15:00:00.000Z');

function sampleView() {
  const state = initialQueueState('default', { timeZone: 'UTC' });
  const add = (name: string, priority: 'high' | 'medium' | 'low', extra = {}) => {
    const p = prepareEnqueue(state, {
      entry: {
        label: name.toLowerCase().replace(/ /g, '-'),
        name,
        description: `Build the ${name} piece as a Python script with a weekly summary report | tables`,
        criteria: [`${name} works end to end`],
        priority,
        addedAt: '2026-02-06T14:00:00.000Z',
        repo: '/tmp/repo',
        kind: 'plan',
        plan: samplePlan(1),
        estimate: '2 hours',
        ...extra,
      },
    });
    if ('problems' in p) throw new Error(p.problems.join('\n'));
    enqueue(state, p.item);
  };
  add('Done One', 'high');
  add('Running One', 'high', { addedAt: '2026-02-06T14:00:01.000Z' });
  add('Night One', 'medium', { blockers: ['Waiting for credentials'] });
  add('Later One', 'low');
  for (const label of admission(state, NOW).start) markStarted(state, label, `build-${label}`, '2026-02-06T14:30:00.000Z');
  buildEnded(state, 'done-one', { kind: 'completed', status: 'completed' }, '2026-02-06T14:45:30.000Z');
  for (const label of admission(state, NOW).start) markStarted(state, label, `build-${label}`, '2026-02-06T14:46:00.000Z');
  return toQueueView(state, NOW);
}

describe('BUILD_STATUS.md', () => {
  it('shows what builds, the queue with positions and reasons, completions and health', () => {
    const view = sampleView();
    const live = new Map([['running-one', liveFromView({ status: 'verifying', percentComplete: 50, position: { checkpoint: '2', taskGroup: null }, spentUsd: 1.5 })]]);
    const md = renderBuildStatusMd(view, live, { worker: 'host pid 1', seenAt: NOW.toISOString(), server: 'reachable' }, new Map([['running-one', 'http://ui/run']]), NOW);
    expect(md).toContain('| running-one | Running One | high | verifying | 50% | checkpoint 2 | 1 | $1.50 | 14m | http://ui/run |');
    expect(md).toMatch(/\| 1 \| night-one \| Night One \| medium \| blocker: "Night One" is blocked by "Waiting for credentials".* \(\+2 more\) \| 0 \| 1\.0h \|/);
    expect(md).toMatch(/\| 2 \| later-one \| Later One \| low \| approval: .* \| 0 \| 1\.0h \|/);
    expect(md).toContain('| done-one | completed | 2026-02-06T14:45:30.000Z | 15m 30s | 0 |');
    expect(md).toContain('- **Temporal server:** reachable');
    expect(md).toContain('- **Policy:** at most 1 at once · medium only 22:00-06:00 UTC · low after approval · 3 retries, 5m apart');
  });
});

describe('BUILD_QUEUE.md', () => {
  it('is written in the seed format and reads back with the same entries and completions', () => {
    const view = sampleView();
    const parsed = parseBuildQueueMd(renderQueueMd(view, NOW));
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries.map((e) => [e.label, e.priority, e.addedAt, e.blockers, e.estimate])).toEqual([
      ['running-one', 'high', '2026-02-06T14:00:00.000Z', [], '2 hours'],
      ['night-one', 'medium', '2026-02-06T14:00:00.000Z', ['Waiting for credentials'], '2 hours'],
      ['later-one', 'low', '2026-02-06T14:00:00.000Z', [], '2 hours'],
    ]);
    expect(parsed.entries[0]?.description).toContain('| tables');
    expect(parsed.completed.map((c) => c.name)).toEqual(['Done One']);
  });
});

describe('build report', () => {
  it('covers a local day, DST included', () => {
    expect(dayRange('2026-02-06', 'UTC')).toEqual({ start: Date.parse('2026-02-06T00:00:00Z'), end: Date.parse('2026-02-07T00:00:00Z') });
    const dst = dayRange('2026-03-08', 'America/Chicago');
    expect((dst.end - dst.start) / 3_600_000).toBe(23);
  });

  it('lists completed, failed, active builds, the queue and totals', () => {
    const base = { live: liveFromView({}) };
    const md = renderReport(
      { date: '2026-02-06', timeZone: 'UTC' },
      [
        { ...base, label: 'a', workflowId: 'build-a', status: 'completed', startTime: '2026-02-06T10:00:00Z', closeTime: '2026-02-06T14:30:00Z', live: liveFromView({ planTitle: 'Spotify', checkpoints: [{ commit: 'abcdef1234567890' }], spentUsd: 2 }) },
        { ...base, label: 'old', workflowId: 'build-old', status: 'completed', startTime: '2026-02-05T10:00:00Z', closeTime: '2026-02-05T11:00:00Z' },
        { ...base, label: 'b', workflowId: 'build-b', status: 'cancelled', startTime: '2026-02-06T11:00:00Z', closeTime: '2026-02-06T11:05:00Z' },
        { ...base, label: 'c', workflowId: 'build-c', status: 'running', startTime: '2026-02-06T22:30:00Z', closeTime: null, live: liveFromView({ status: 'running', percentComplete: 40, position: { checkpoint: '2' } }) },
      ],
      [sampleView()],
      NOW,
    );
    expect(md).toContain('1. **a** (Spotify) — duration 4h 30m · 1 commit(s) · cost $2.00\n   - abcdef123456');
    expect(md).not.toContain('**old**');
    expect(md).toContain('1. **b** — cancelled after 5m');
    expect(md).toContain('1. **c** — running · 40% · checkpoint 2 · started 2026-02-06T22:30:00Z');
    expect(md).toMatch(/## Queue\n\n1\. night-one \(medium\) — blocker: /);
    expect(md).toContain('- Completed: 1 · Failed or stopped: 1 · Building: 1 · Queued: 2');
    expect(md).toContain('Build time (finished today): 4h 35m · Commits: 1 · Cost (where agents report it): $2.00');
  });
});

describe('helpers', () => {
  it('formats durations for people', () => {
    expect([0, 1499, 45_000, 60_000, 725_000, 3_600_000, 16_200_000].map(took)).toEqual(['0s', '1s', '45s', '1m', '12m 5s', '1h', '4h 30m']);
  });

  it('reads loop views too', () => {
    expect(liveFromView({ status: 'running', sessions: 3, costUsd: 0.25, checkboxes: { done: 1, total: 4 }, task: 'Do X\nmore' })).toMatchObject({
      status: 'running',
      percent: 25,
      costUsd: 0.25,
      detail: 'session 3',
      title: 'Do X',
    });
  });
});
