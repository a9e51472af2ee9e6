import { formatDuration, parseDuration } from '../../src/model/duration';
import { PolicySchema } from '../../src/model/request';

describe('durations', () => {
  it.each([
    ['2s', 2000],
    ['5m', 300_000],
    ['4h', 14_400_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1500', 1500],
    ['0.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'five minutes', '5 m', '5x', 'm5', '-5s'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats round values', () => {
    expect([formatDuration(14_400_000), formatDuration(300_000), formatDuration(2000), formatDuration(1500)]).toEqual(['4h', '5m', '2s', '1500ms']);
  });

  it('the policy defaults are the seeds: 3 attempts, 5 minutes apart, stall after 4 hours', () => {
    const policy = PolicySchema.parse({});
    expect(policy).toMatchObject({ maxAttempts: 3, retryInterval: 300_000, stallTimeout: 14_400_000 });
  });

  it('the policy takes Temporal-style durations and names a bad one', () => {
    expect(PolicySchema.parse({ retryInterval: '2s', stallTimeout: '1h' })).toMatchObject({ retryInterval: 2000, stallTimeout: 3_600_000 });
    const r = PolicySchema.safeParse({ stallTimeout: 'soon' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['stallTimeout']);
    expect(r.error?.issues[0]?.message).toMatch(/expected a duration like 30s, 5m or 4h, got "soon"/);
  });
});
