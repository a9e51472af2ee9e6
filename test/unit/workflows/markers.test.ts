import { clock, retryWaitMarker, sessionMarker, timer, usageLimitMarker, wait } from '../../../src/workflows/shared/markers';
import { cliType, searchAttributeFlags } from '../../../src/server/searchAttributes';
import { SEARCH_ATTRIBUTES } from '../../../src/workflows/shared/searchAttributes';

describe('marker summaries', () => {
  it.each([
    [4 * 3_600_000, '4h'],
    [5 * 60_000, '5m'],
    [30_000, '30s'],
    [90_000, '90s'],
    [1500, '1.5s'],
    [65_432, '65s'],
    [250, '250ms'],
  ])('writes a wait of %d ms as %s', (ms, text) => {
    expect(wait(ms)).toBe(text);
  });

  it('names a session by number, checkpoint, task group and agent, and says when it resumes or fixes verification', () => {
    expect(sessionMarker({ session: 3, checkpoint: '2', group: '2.1', agent: 'claude' })).toBe('session 3 · checkpoint 2 · task group 2.1 · claude');
    expect(sessionMarker({ session: 4, checkpoint: '2', group: '2.1', agent: 'codex', resume: true, fixing: true })).toBe(
      'session 4 · checkpoint 2 · task group 2.1 · codex · fixing verification · resumed',
    );
  });

  it('names the retry wait and the usage-limit park with their times', () => {
    expect(retryWaitMarker(300_000, 2, 3)).toBe('retry wait 5m · attempt 2 of 3');
    expect(retryWaitMarker(300_000, 3, 3, 'checkpoint 1, task group 1.1')).toBe('retry wait 5m · attempt 3 of 3 · checkpoint 1, task group 1.1');
    expect(usageLimitMarker('2026-12-03T03:10:00.000Z')).toBe('usage limit until 03:10 UTC');
    expect(clock('2026-12-03T21:00:00.000Z', 'Europe/Berlin')).toBe('22:00 Europe/Berlin');
    expect(clock('not a time')).toBe('not a time');
  });

  it('keeps a summary to one short line', () => {
    expect(timer('commit checkpoint-1:\n  Todo\tstorage').summary).toBe('commit checkpoint-1: Todo storage');
    const long = timer(`x${'y'.repeat(300)}`).summary;
    expect(long).toHaveLength(120);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('search attributes', () => {
  it('registers every attribute with its type on the dev server', () => {
    const flags = searchAttributeFlags();
    expect(flags.filter((f) => f !== '--search-attribute')).toEqual(SEARCH_ATTRIBUTES.map((a) => `${a.name}=${cliType(a.type)}`));
    expect(flags).toContain('NightshiftCostUsd=Double');
    expect(flags).toContain('NightshiftAgent=Keyword');
    expect(flags).toContain('NightshiftWaitReason=Keyword');
  });
});
