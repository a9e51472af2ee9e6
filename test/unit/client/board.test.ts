import {
  type BoardRow,
  age,
  buildAction,
  orderRows,
  plainLine,
  progressBar,
  renderBoard,
  rowFromBuildListing,
  rowFromLoopListing,
  rowKey,
} from '../../../src/client/board';

const NOW = Date.parse('2026-12-02T12:00:00Z');

function row(label: string, status: string, extra: Partial<BoardRow> = {}): BoardRow {
  return {
    kind: 'build',
    label,
    status,
    reason: null,
    where: 'checkpoint 1/2 · 1.1',
    progress: 0.5,
    lastLine: null,
    costUsd: 0.25,
    host: null,
    startedAt: '2026-12-02T11:48:00Z',
    finishedAt: null,
    action: buildAction(label, status, extra.reason ?? null),
    ...extra,
  };
}

describe('the board', () => {
  it('puts the builds waiting for the person first (longest waiting first), then active, then finished newest first', () => {
    const rows = [
      row('done-old', 'completed', { finishedAt: '2026-12-02T10:00:00Z' }),
      row('busy', 'running'),
      row('stuck-late', 'awaiting-human', { reason: 'escalated', startedAt: '2026-12-02T11:50:00Z' }),
      row('done-new', 'failed', { finishedAt: '2026-12-02T11:00:00Z' }),
      row('held', 'paused', { startedAt: '2026-12-02T11:00:00Z' }),
    ];
    expect(orderRows(rows).map((r) => r.label)).toEqual(['held', 'stuck-late', 'busy', 'done-new', 'done-old']);
  });

  it('draws sections with the command to act under each waiting build, fitted to the width', () => {
    const lines = renderBoard(
      [
        row('auth', 'awaiting-human', { reason: 'verification-failed', lastLine: 'tests still red', host: 'box-a' }),
        row('todo', 'running', { lastLine: 'wrote src/todo.ts', progress: 0.3 }),
        row('old', 'completed', { progress: 1, finishedAt: '2026-12-02T11:00:00Z' }),
      ],
      { width: 120, nowMs: NOW },
    );
    const text = lines.join('\n');
    expect(lines[0]).toContain('3 builds, 0 loops · 1 waiting for you · 1 active · 12:00:00 UTC');
    expect(text.indexOf('WAITING FOR YOU')).toBeLessThan(text.indexOf('ACTIVE'));
    expect(text.indexOf('ACTIVE')).toBeLessThan(text.indexOf('FINISHED'));
    expect(text).toContain('awaiting-human (verification-failed)');
    expect(text).toContain('› nightshift override auth --note "…" | nightshift retry auth | nightshift skip auth --note "…"');
    expect(text).toContain('agent: tests still red');
    expect(text).toContain('[███░░░░░░░]  30%');
    expect(text).toContain('box-a');
    expect(text).toContain('12m');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
  });

  it('says how to start when there is nothing', () => {
    expect(renderBoard([], { width: 80, nowMs: NOW }).join('\n')).toContain('No builds or loops yet');
  });

  it('names the command for each reason a build waits', () => {
    expect(buildAction('a', 'paused', null)).toBe('nightshift resume a');
    expect(buildAction('a', 'awaiting-human', 'auth')).toContain('login');
    expect(buildAction('a', 'awaiting-human', 'budget-exceeded')).toContain('nightshift retry a');
    expect(buildAction('a', 'awaiting-human', 'escalated')).toMatch(/^nightshift retry a \| nightshift override a --note/);
    expect(buildAction('a', 'running', null)).toBeNull();
  });

  it('builds rows from the workflow list alone: wait reason, cost and checkpoint from the search attributes', () => {
    const r = rowFromBuildListing({
      label: 'auth',
      workflowId: 'build-auth',
      runId: 'r',
      status: 'awaiting-human',
      checkpoint: '2',
      startTime: '2026-12-02T11:00:00Z',
      closeTime: null,
      waitReason: 'stalled',
      costUsd: 1.5,
      host: 'box-a',
    });
    expect(r).toMatchObject({ status: 'awaiting-human', reason: 'stalled', where: 'checkpoint 2', progress: null, costUsd: 1.5, host: 'box-a' });
    expect(r.action).toContain('nightshift retry auth');
    const loop = rowFromLoopListing({
      taskName: 'api',
      workflowId: 'loop-api',
      status: 'awaiting-human',
      mode: 'lightweight',
      sessions: 3,
      costUsd: 0,
      falseCompletions: 0,
      checkboxes: { done: 1, total: 4 },
      repo: '/r',
      startTime: '2026-12-02T11:00:00Z',
    });
    expect(loop).toMatchObject({ kind: 'loop', where: 'session 3 · 1/4 boxes', progress: 0.25 });
    expect(loop.action).toContain('--workflow-id loop-api --name retry');
  });

  it('writes plain lines for pipes, and a row key that ignores the passing of time', () => {
    const r = row('auth', 'awaiting-human', { reason: 'escalated', lastLine: 'x' });
    expect(plainLine(r, NOW).split('\t')).toEqual([
      'build',
      'auth',
      'awaiting-human (escalated)',
      'checkpoint 1/2 · 1.1',
      '50%',
      '$0.25',
      '-',
      '12m',
      'agent: x',
      'act: nightshift retry auth | nightshift override auth --note "…" | nightshift skip auth --note "…"',
    ]);
    expect(rowKey(r)).toBe(rowKey({ ...r, startedAt: '2020-01-01T00:00:00Z' }));
    expect(rowKey(r)).not.toBe(rowKey({ ...r, status: 'running' }));
  });

  it.each([
    [null, '[          ]     '],
    [0, '[░░░░░░░░░░]   0%'],
    [0.45, '[█████░░░░░]  45%'],
    [1.2, '[██████████] 100%'],
  ])('draws progress %p as %s', (p, bar) => {
    expect(progressBar(p)).toBe(bar);
  });

  it.each([
    ['2026-12-02T11:59:30Z', '30s'],
    ['2026-12-02T11:48:00Z', '12m'],
    ['2026-12-02T08:55:00Z', '3h 5m'],
    ['2026-11-30T08:00:00Z', '2d 4h'],
    [null, '-'],
  ])('writes the age since %s as %s', (from, text) => {
    expect(age(from, NOW)).toBe(text);
  });
});
