import { InvalidInputError } from '../../../src/model/errors';
import {
  OffHoursTextSchema,
  TimeZoneSchema,
  formatWindow,
  inWindow,
  isValidTimeZone,
  nextWindowStart,
  parseWindow,
  tryParseWindow,
  wallClock,
  zonedTimeToUtc,
} from '../../../src/model/offHours';

const at = (iso: string) => new Date(iso);
const night = parseWindow('22:00-06:00');

describe('parseWindow', () => {
  it.each([
    ['22:00-06:00', { start: 1320, end: 360 }],
    ['9:00-17:30', { start: 540, end: 1050 }],
    [' 22:00 - 06:00 ', { start: 1320, end: 360 }],
    ['22:00–06:00', { start: 1320, end: 360 }],
    ['18:00-24:00', { start: 1080, end: 1440 }],
    ['00:00-24:00', { start: 0, end: 1440 }],
    ['23:30-00:15', { start: 1410, end: 15 }],
  ])('reads %j', (text, window) => {
    expect(parseWindow(text)).toEqual(window);
  });

  it.each([
    '',
    '22-06',
    '10pm-6am',
    '25:00-06:00',
    '22:60-06:00',
    '06:00-06:00',
    '24:00-06:00',
    '22:00-24:30',
    '22:00',
  ])('refuses %j with a message that shows the expected form', (text) => {
    expect(tryParseWindow(text)).toBeUndefined();
    expect(() => parseWindow(text)).toThrow(InvalidInputError);
    expect(() => parseWindow(text)).toThrow(/expected a window like "22:00-06:00"/);
  });

  it('formats a window back to its text', () => {
    expect(formatWindow(parseWindow('9:05-17:30'))).toBe('09:05-17:30');
    expect(formatWindow(night)).toBe('22:00-06:00');
  });

  it('has zod fields for the window text and the time zone', () => {
    expect(OffHoursTextSchema.safeParse('22:00-06:00').success).toBe(true);
    expect(OffHoursTextSchema.safeParse('late').success).toBe(false);
    expect(TimeZoneSchema.safeParse('America/Chicago').success).toBe(true);
    expect(TimeZoneSchema.safeParse('America/Chicgo').success).toBe(false);
  });
});

describe('isValidTimeZone', () => {
  it.each(['UTC', 'America/Chicago', 'Europe/Berlin', 'Asia/Kolkata'])('accepts %s', (tz) => {
    expect(isValidTimeZone(tz)).toBe(true);
  });
  it.each(['', '  ', 'Mars/Olympus_Mons', 'America/Chicgo', 'CST6CDT/Nowhere'])('refuses %j', (tz) => {
    expect(isValidTimeZone(tz)).toBe(false);
  });
});

describe('inWindow', () => {
  it.each([
    ['2026-02-06T21:59:59Z', false],
    ['2026-02-06T22:00:00Z', true],
    ['2026-02-06T23:59:00Z', true],
    ['2026-02-07T00:00:00Z', true],
    ['2026-02-07T03:00:00Z', true],
    ['2026-02-07T05:59:59Z', true],
    ['2026-02-07T06:00:00Z', false],
    ['2026-02-07T12:00:00Z', false],
  ])('22:00-06:00 UTC at %s: %s (wraps past midnight, end exclusive)', (iso, expected) => {
    expect(inWindow(night, at(iso), 'UTC')).toBe(expected);
  });

  it.each([
    ['2026-02-06T08:59:00Z', false],
    ['2026-02-06T09:00:00Z', true],
    ['2026-02-06T16:59:00Z', true],
    ['2026-02-06T17:00:00Z', false],
    ['2026-02-06T23:00:00Z', false],
  ])('a window that does not wrap (09:00-17:00) at %s: %s', (iso, expected) => {
    expect(inWindow(parseWindow('09:00-17:00'), at(iso), 'UTC')).toBe(expected);
  });

  it.each([
    // CST is UTC-6 in February.
    ['2026-02-06T03:59:00Z', false], // 21:59 CST
    ['2026-02-06T04:00:00Z', true], // 22:00 CST
    ['2026-02-06T11:59:00Z', true], // 05:59 CST
    ['2026-02-06T12:00:00Z', false], // 06:00 CST
    ['2026-02-06T23:00:00Z', false], // 17:00 CST, although 23:00 UTC is inside the window in UTC
  ])('22:00-06:00 America/Chicago at %s: %s', (iso, expected) => {
    expect(inWindow(night, at(iso), 'America/Chicago')).toBe(expected);
  });

  it('uses the summer offset after the DST change', () => {
    // 2026-07-01T03:00Z is 22:00 CDT (UTC-5), but would be 21:00 in CST.
    expect(inWindow(night, at('2026-07-01T03:00:00Z'), 'America/Chicago')).toBe(true);
    expect(inWindow(night, at('2026-07-01T02:59:00Z'), 'America/Chicago')).toBe(false);
  });

  it('works in a zone with a half-hour offset', () => {
    // Asia/Kolkata is UTC+5:30: 16:30Z is 22:00 local.
    expect(inWindow(night, at('2026-02-06T16:29:00Z'), 'Asia/Kolkata')).toBe(false);
    expect(inWindow(night, at('2026-02-06T16:30:00Z'), 'Asia/Kolkata')).toBe(true);
  });
});

describe('nextWindowStart', () => {
  it('is later the same day when the window has not opened yet', () => {
    expect(nextWindowStart(night, at('2026-02-06T12:00:00Z'), 'UTC').toISOString()).toBe(
      '2026-02-06T22:00:00.000Z',
    );
  });

  it('is the next day when the window is open or has just opened (strictly after now)', () => {
    expect(nextWindowStart(night, at('2026-02-06T23:00:00Z'), 'UTC').toISOString()).toBe(
      '2026-02-07T22:00:00.000Z',
    );
    expect(nextWindowStart(night, at('2026-02-06T22:00:00Z'), 'UTC').toISOString()).toBe(
      '2026-02-07T22:00:00.000Z',
    );
    expect(nextWindowStart(night, at('2026-02-07T03:00:00Z'), 'UTC').toISOString()).toBe(
      '2026-02-07T22:00:00.000Z',
    );
  });

  it('is at 22:00 local time in America/Chicago', () => {
    expect(nextWindowStart(night, at('2026-02-06T18:00:00Z'), 'America/Chicago').toISOString()).toBe(
      '2026-02-07T04:00:00.000Z',
    );
    // 23:00 UTC is 17:00 CST on the same local day.
    expect(nextWindowStart(night, at('2026-02-06T23:00:00Z'), 'America/Chicago').toISOString()).toBe(
      '2026-02-07T04:00:00.000Z',
    );
  });

  it('stays at 22:00 local across the spring-forward change (a 23-hour day)', () => {
    // US DST starts 2026-03-08 at 02:00 CST.
    const before = nextWindowStart(night, at('2026-03-07T18:00:00Z'), 'America/Chicago');
    expect(before.toISOString()).toBe('2026-03-08T04:00:00.000Z'); // 22:00 CST
    const after = nextWindowStart(night, before, 'America/Chicago');
    expect(after.toISOString()).toBe('2026-03-09T03:00:00.000Z'); // 22:00 CDT
    expect(after.getTime() - before.getTime()).toBe(23 * 3_600_000);
  });

  it('stays at 22:00 local across the fall-back change (a 25-hour day)', () => {
    // US DST ends 2026-11-01 at 02:00 CDT.
    const before = nextWindowStart(night, at('2026-10-31T18:00:00Z'), 'America/Chicago');
    expect(before.toISOString()).toBe('2026-11-01T03:00:00.000Z'); // 22:00 CDT
    const after = nextWindowStart(night, before, 'America/Chicago');
    expect(after.toISOString()).toBe('2026-11-02T04:00:00.000Z'); // 22:00 CST
    expect(after.getTime() - before.getTime()).toBe(25 * 3_600_000);
  });

  it('opens when the clock jumps if the start time is skipped by DST', () => {
    const early = parseWindow('02:30-05:00');
    // 02:30 does not exist in Chicago on 2026-03-08: 01:59 CST is followed by 03:00 CDT (08:00Z).
    const opens = nextWindowStart(early, at('2026-03-08T06:00:00Z'), 'America/Chicago');
    expect(opens.toISOString()).toBe('2026-03-08T08:00:00.000Z');
    expect(inWindow(early, opens, 'America/Chicago')).toBe(true);
    expect(inWindow(early, new Date(opens.getTime() - 60_000), 'America/Chicago')).toBe(false);
  });

  it('opens at the first of two repeated times when DST falls back', () => {
    const early = parseWindow('01:30-03:00');
    // 01:30 happens twice in Chicago on 2026-11-01: at 06:30Z (CDT) and 07:30Z (CST).
    expect(nextWindowStart(early, at('2026-11-01T05:00:00Z'), 'America/Chicago').toISOString()).toBe(
      '2026-11-01T06:30:00.000Z',
    );
  });

  it('follows Europe/Berlin DST, which changes on a different date than the US', () => {
    // Berlin switches 2026-03-29; on 2026-03-10 it is still CET (UTC+1) while Chicago is already CDT.
    expect(nextWindowStart(night, at('2026-03-10T12:00:00Z'), 'Europe/Berlin').toISOString()).toBe(
      '2026-03-10T21:00:00.000Z',
    );
    expect(nextWindowStart(night, at('2026-03-30T12:00:00Z'), 'Europe/Berlin').toISOString()).toBe(
      '2026-03-30T20:00:00.000Z',
    );
  });

  it('is always in the future and the window is open at that instant', () => {
    for (let h = 0; h < 48; h += 1) {
      const now = new Date(Date.parse('2026-03-07T00:00:00Z') + h * 3_600_000 + 17 * 60_000);
      for (const tz of ['UTC', 'America/Chicago', 'Asia/Kolkata', 'Australia/Lord_Howe']) {
        const opens = nextWindowStart(night, now, tz);
        expect(opens.getTime()).toBeGreaterThan(now.getTime());
        expect(opens.getTime() - now.getTime()).toBeLessThanOrEqual(25 * 3_600_000);
        expect(inWindow(night, opens, tz)).toBe(true);
        expect(inWindow(night, new Date(opens.getTime() - 60_000), tz)).toBe(false);
      }
    }
  });
});

describe('zonedTimeToUtc and wallClock', () => {
  it('converts a wall-clock time to the instant and back', () => {
    const t = zonedTimeToUtc({ year: 2026, month: 2, day: 6, hour: 15, minute: 0 }, 'America/Chicago');
    expect(t.toISOString()).toBe('2026-02-06T21:00:00.000Z');
    expect(wallClock(t, 'America/Chicago')).toEqual({
      year: 2026,
      month: 2,
      day: 6,
      hour: 15,
      minute: 0,
      second: 0,
    });
  });

  it('reads midnight as hour 0', () => {
    expect(wallClock(at('2026-02-07T00:00:00Z'), 'UTC').hour).toBe(0);
  });
});
