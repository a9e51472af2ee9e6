import {
  classifyExit,
  isStuck,
  looksPermissionBlocked,
  looksRateLimited,
  parseResetTime,
} from '../../../src/agents/classify';
import { emptyParsedOutput, type ParsedOutput } from '../../../src/agents/types';
import { NOW } from './feed';

const at = (iso: string) => new Date(iso);

describe('parseResetTime', () => {
  it.each([
    ['Claude AI usage limit reached|1767225600', '2026-01-01T00:00:00.000Z'],
    ['usage limit reached|1767225600000', '2026-01-01T00:00:00.000Z'],
    ['limit resets at 1767225600', '2026-01-01T00:00:00.000Z'],
  ])('reads the epoch in %j', (text, expected) => {
    expect(parseResetTime(text, NOW)).toBe(expected);
  });

  it.each([
    ['5-hour limit reached ∙ resets 3pm', '2025-11-21T15:00:00.000Z'],
    ["You've hit your limit · resets 5:00 PM (UTC)", '2025-11-21T17:00:00.000Z'],
    ['Your limit will reset at 3pm (America/New_York).', '2025-11-21T20:00:00.000Z'],
    ['Your limit will reset at 3pm (America/Santiago).', '2025-11-21T18:00:00.000Z'],
    ['limit resets at 15:30 CET', '2025-11-21T14:30:00.000Z'],
    ['resets 18:00 (UTC+2)', '2025-11-21T16:00:00.000Z'],
    // 02:00 in Los Angeles: 5pm PST is later the same local day, 01:00 UTC the next.
    ['resets 5pm (PST)', '2025-11-22T01:00:00.000Z'],
    ['resets 3pm (Mars/Olympus_Mons)', '2025-11-21T15:00:00.000Z'],
    ['or try again at Jan 5th, 2026 3:00 PM.', '2026-01-05T15:00:00.000Z'],
  ])('reads the time of day in %j', (text, expected) => {
    expect(parseResetTime(text, NOW)).toBe(expected);
  });

  it('rolls a time already past to the next day', () => {
    expect(parseResetTime('resets 3pm', at('2025-11-21T16:00:00Z'))).toBe('2025-11-22T15:00:00.000Z');
  });

  it('keeps a time that passed moments ago rather than waiting a day', () => {
    expect(parseResetTime('resets 10:05am', at('2025-11-21T10:10:00Z'))).toBe('2025-11-21T10:05:00.000Z');
  });

  it('reads a zone through its daylight saving time', () => {
    expect(parseResetTime('resets 3pm (America/New_York)', at('2025-07-01T10:00:00Z'))).toBe(
      '2025-07-01T19:00:00.000Z',
    );
  });

  it('puts a yearless date that has passed in the next year', () => {
    expect(parseResetTime('resets Jan 2 at 9am', at('2025-12-30T10:00:00Z'))).toBe(
      '2026-01-02T09:00:00.000Z',
    );
  });

  it('reads a zoneless time in the default zone', () => {
    expect(parseResetTime('resets 3pm', NOW, 'America/Los_Angeles')).toBe('2025-11-21T23:00:00.000Z');
  });

  it.each([
    ['Upgrade to Pro or try again in 2 hours 15 minutes.', '2025-11-21T12:15:00.000Z'],
    ['Please retry in 37.5s.', '2025-11-21T10:00:37.500Z'],
    ['quota will reset after 1h30m.', '2025-11-21T11:30:00.000Z'],
    ['try again in 4 days 3 hours', '2025-11-25T13:00:00.000Z'],
    ['try again in 5 min', '2025-11-21T10:05:00.000Z'],
    ['429 Too Many Requests\nRetry-After: 120', '2025-11-21T10:02:00.000Z'],
    [
      '{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}',
      '2025-11-21T10:00:37.000Z',
    ],
  ])('reads the delay in %j from now', (text, expected) => {
    expect(parseResetTime(text, NOW)).toBe(expected);
  });

  it.each([
    ['"resets_at": "2025-11-21T18:00:00Z"', '2025-11-21T18:00:00.000Z'],
    ['blocked until 2025-11-21 18:00:00+02:00', '2025-11-21T16:00:00.000Z'],
    ['resets at 2025-11-21T18:00', '2025-11-21T18:00:00.000Z'],
  ])('reads the timestamp in %j', (text, expected) => {
    expect(parseResetTime(text, NOW)).toBe(expected);
  });

  it.each([
    'Claude AI usage limit reached',
    'the counter resets 5 times a day',
    '2025-11-21T09:00:00Z ERROR rate limit exceeded',
    'order 1767225600 shipped',
    '',
  ])('finds no time in %j', (text) => {
    expect(parseResetTime(text, NOW)).toBeNull();
  });
});

describe('looksRateLimited', () => {
  it.each([
    'Claude AI usage limit reached|1767225600',
    'HTTP/1.1 429 Too Many Requests',
    'Attempt 1 failed with status 429. Retrying with backoff...',
    '"status": "RESOURCE_EXHAUSTED"',
    'You exceeded your current quota, please check your plan and billing details.',
    'API Error: {"type":"error","error":{"type":"rate_limit_error"}}',
    'litellm.RateLimitError: AnthropicException',
    "You've hit your limit · resets 5pm",
    'Weekly limit reached',
  ])('matches %j', (text) => {
    expect(looksRateLimited(text)).toBe(true);
  });

  it.each([
    'All 12 tests passed',
    'bash: ./run.sh: Permission denied',
    'processed 429 files',
    'API Error: 529 Overloaded',
    'Context limit reached',
  ])('does not match %j', (text) => {
    expect(looksRateLimited(text)).toBe(false);
  });
});

describe('looksPermissionBlocked', () => {
  it.each([
    "Claude requested permissions to write to /work/repo/a.ts, but you haven't granted it yet.",
    'This command requires approval',
    'I need your permission to run npm install.',
    'Waiting for approval before editing the schema.',
  ])('matches %j', (text) => {
    expect(looksPermissionBlocked(text)).toBe(true);
  });

  it.each([
    'bash: ./deploy.sh: Permission denied',
    "EACCES: permission denied, open '/etc/hosts'",
    'Wrote src/a.ts',
  ])('does not match %j', (text) => {
    expect(looksPermissionBlocked(text)).toBe(false);
  });
});

describe('classifyExit', () => {
  const parsed = (fields: Partial<ParsedOutput> = {}): ParsedOutput => ({
    ...emptyParsedOutput(),
    ...fields,
  });

  it('is null for a clean exit', () => {
    expect(classifyExit(parsed(), 0, null)).toBeNull();
  });

  it('ignores a failure hint when the session exited cleanly', () => {
    expect(classifyExit(parsed({ failureClass: 'rate-limited' }), 0, null)).toBeNull();
  });

  it("takes the parser's class when the agent reported an error, even on exit 0", () => {
    expect(classifyExit(parsed({ isError: true, failureClass: 'budget-exceeded' }), 0, null)).toBe(
      'budget-exceeded',
    );
  });

  it("takes the parser's class on a non-zero exit", () => {
    expect(classifyExit(parsed({ failureClass: 'rate-limited' }), 1, null)).toBe('rate-limited');
  });

  it('calls an unexplained error, exit or kill transient', () => {
    expect(classifyExit(parsed({ isError: true }), 0, null)).toBe('transient');
    expect(classifyExit(parsed(), 137, null)).toBe('transient');
    expect(classifyExit(parsed(), null, 'SIGKILL')).toBe('transient');
  });
});

describe('isStuck', () => {
  it('is stuck on the same last line three sessions running', () => {
    expect(isStuck(['Running tests', 'Running tests'], 'Running tests')).toBe(true);
    expect(isStuck(['Fixed it', 'Running tests', 'Running tests'], 'Running tests')).toBe(true);
  });

  it('is not stuck after fewer repeats or a change', () => {
    expect(isStuck(['Running tests'], 'Running tests')).toBe(false);
    expect(isStuck(['Running tests', 'Fixed it'], 'Running tests')).toBe(false);
    expect(isStuck(['Running tests', 'Running tests', 'Fixed it'], 'Running tests')).toBe(false);
  });

  it('is not stuck without a last line', () => {
    expect(isStuck(['', ''], null)).toBe(false);
    expect(isStuck(['', ''], '   ')).toBe(false);
  });

  it('ignores whitespace differences', () => {
    expect(isStuck(['  Running   tests', 'Running tests '], 'Running tests')).toBe(true);
  });

  it('takes the number of repeats', () => {
    expect(isStuck(['x'], 'x', 2)).toBe(true);
    expect(isStuck(['x', 'x'], 'x', 4)).toBe(false);
  });
});
