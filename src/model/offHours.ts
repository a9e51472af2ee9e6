import { z } from 'zod';
import { InvalidInputError } from './errors';

/**
 * Seed 002's off-hours window ("Medium: auto-spawns during off-hours (10pm-6am)"), as wall-clock
 * times in a named time zone. Pure and library-free (only `Intl.DateTimeFormat`), so workflow code
 * can import it: the clock is always a parameter.
 */
export interface OffHoursWindow {
  /** Minutes after local midnight at which the window opens (0..1439). */
  start: number;
  /** Minutes after local midnight at which it closes (1..1440); below `start` when it wraps midnight. */
  end: number;
}

export const DEFAULT_OFF_HOURS = '22:00-06:00';

const MINUTE = 60_000;
const DAY = 86_400_000;
const WINDOW_TEXT = /^(\d{1,2}):(\d{2})\s*(?:-|–|—|to)\s*(\d{1,2}):(\d{2})$/i;

function clock(hours: string, minutes: string): number | undefined {
  const h = Number(hours);
  const m = Number(minutes);
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return undefined;
  return h * 60 + m;
}

/** Parses `22:00-06:00` (a window that wraps midnight) or `09:00-17:30`; `24:00` may close a window. */
export function parseWindow(text: string): OffHoursWindow {
  const window = tryParseWindow(text);
  if (!window) {
    throw new InvalidInputError(
      `expected a window like "22:00-06:00" (HH:MM-HH:MM, 24-hour clock, may wrap midnight), got "${text}"`,
      'off-hours window',
    );
  }
  return window;
}

export function tryParseWindow(text: string): OffHoursWindow | undefined {
  const m = WINDOW_TEXT.exec(text.trim());
  if (!m) return undefined;
  const start = clock(m[1] as string, m[2] as string);
  const end = clock(m[3] as string, m[4] as string);
  // 24:00 only makes sense as a closing time, and an empty (start == end) window is almost certainly
  // a typo: refusing it beats silently never (or always) building.
  if (start === undefined || end === undefined || start === 1440 || start === end) return undefined;
  return { start, end };
}

export function formatWindow(window: OffHoursWindow): string {
  const hhmm = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return `${hhmm(window.start)}-${hhmm(window.end)}`;
}

/** A zod field for an off-hours window given as text; keeps the text (the stored form). */
export const OffHoursTextSchema = z.string().refine((text) => tryParseWindow(text) !== undefined, {
  message: 'expected a window like "22:00-06:00" (HH:MM-HH:MM, 24-hour clock, may wrap midnight)',
});

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone.trim() === '') return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export const TimeZoneSchema = z.string().refine(isValidTimeZone, {
  message: 'expected an IANA time zone such as "UTC" or "America/Chicago"',
});

export interface WallClock {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading at `instant` in `timeZone`. */
export function wallClock(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? NaN,
    month: parts.month ?? NaN,
    day: parts.day ?? NaN,
    // Some ICU versions still print midnight as "24" even with h23.
    hour: (parts.hour ?? NaN) % 24,
    minute: parts.minute ?? NaN,
    second: parts.second ?? NaN,
  };
}

/** The wall clock at `t` written as if it were UTC: `t + offset(t)`, whole seconds. */
function wallMs(t: number, timeZone: string): number {
  const w = wallClock(new Date(t), timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/**
 * The first instant whose wall clock in `timeZone` reads `local` or later: the exact instant when
 * the time exists (the earlier one when a DST fall-back repeats it), the end of the gap when a DST
 * spring-forward skips it.
 */
export function zonedTimeToUtc(
  local: { year: number; month: number; day: number; hour?: number; minute?: number },
  timeZone: string,
): Date {
  const target = Date.UTC(local.year, local.month - 1, local.day, local.hour ?? 0, local.minute ?? 0);
  // Any offset in force within a day of the target is a candidate; one of them is right unless the
  // time falls in a gap.
  const offsets = new Set([target - DAY, target, target + DAY].map((t) => wallMs(t, timeZone) - t));
  const candidates = [...offsets].map((offset) => target - offset).sort((a, b) => a - b);
  const exact = candidates.find((t) => wallMs(t, timeZone) === target);
  if (exact !== undefined) return new Date(exact);
  // In a gap: binary-search (by minute) for the first instant whose wall clock has passed the target.
  const below = candidates.filter((t) => wallMs(t, timeZone) < target).pop();
  const above = candidates.find((t) => wallMs(t, timeZone) > target);
  if (below === undefined || above === undefined)
    return new Date(target - (wallMs(target, timeZone) - target));
  let lo: number = below;
  let hi: number = above;
  while (hi - lo > MINUTE) {
    const mid: number = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (mid === lo) break;
    if (wallMs(mid, timeZone) >= target) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

function minuteOfDay(instant: Date, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  return w.hour * 60 + w.minute + w.second / 60;
}

/** Whether the wall clock at `now` in `timeZone` is inside the window (start inclusive, end exclusive). */
export function inWindow(window: OffHoursWindow, now: Date, timeZone: string): boolean {
  const m = minuteOfDay(now, timeZone);
  return window.start < window.end
    ? m >= window.start && m < window.end
    : m >= window.start || m < window.end;
}

/**
 * The next instant strictly after `now` at which the window opens, in `timeZone`. Computed from
 * local calendar dates, not by adding 24 hours, so it stays on the wall-clock time across DST.
 */
export function nextWindowStart(window: OffHoursWindow, now: Date, timeZone: string): Date {
  const today = wallClock(now, timeZone);
  const hour = Math.floor(window.start / 60);
  const minute = window.start % 60;
  // Three days is always enough; the extra days only guard against zones that skipped a date.
  for (let d = 0; d < 7; d++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + d));
    const opens = zonedTimeToUtc(
      { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour, minute },
      timeZone,
    );
    if (opens.getTime() > now.getTime()) return opens;
  }
  return new Date(now.getTime() + DAY);
}
