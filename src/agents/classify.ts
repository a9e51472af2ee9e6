import type { FailureClass, ParsedOutput } from './types';

/**
 * Pure helpers the output parsers share: spotting rate limits and permission stalls in agent text,
 * reading when a limit resets, and turning a finished session into a failure class.
 */

/** The parsers' only clock, injected so that "try again in 5 minutes" is testable. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/** Long texts are only searched this far: limit notices are short, and the scan stays cheap. */
const MAX_SCAN = 20_000;

const RATE_LIMITED =
  /usage[ _-]?limit|rate[ _-]?limit|too many requests|resource[ _-]?exhausted|quota (?:exceeded|exhausted|will reset)|exhausted your (?:capacity|quota)|exceeded (?:your |the )?(?:current )?quota|(?:status|code|error|http)\W{0,3}429\b|\b429 too many|hit your (?:usage )?limit|limit (?:will )?resets?\b|(?:5-hour|weekly|daily|session|opus|sonnet) limit/i;

/** True when text reads like a usage or rate limit (HTTP 429, quota, "usage limit reached"). */
export function looksRateLimited(text: string): boolean {
  return RATE_LIMITED.test(text.slice(0, MAX_SCAN));
}

const PERMISSION_BLOCKED =
  /requested permissions? to|(?:haven't|have not|hasn't|has not|not been) (?:yet )?(?:been )?granted|need(?:s)? (?:your )?(?:permission|approval)|requires? (?:your )?(?:permission|approval)|(?:permission|approval) (?:is )?required|waiting for (?:your )?(?:permission|approval)|permission (?:to|for) (?:use|run|write|edit|execute|access|create|modify|delete)|permission was denied|denied permission|grant (?:me )?(?:the )?(?:permission|access)/i;

/**
 * True when text reads like a headless agent waiting on a permission nobody will grant. Plain
 * `Permission denied` (EACCES from a shell) is deliberately not matched: that is an ordinary error.
 */
export function looksPermissionBlocked(text: string): boolean {
  return PERMISSION_BLOCKED.test(text.slice(0, MAX_SCAN));
}

/**
 * Why a finished session failed, or null when it did not (exit 0 and no error result). The parser's
 * own reading wins; a crash or non-zero exit it cannot explain is `transient`.
 */
export function classifyExit(
  parsed: ParsedOutput,
  exitCode: number | null,
  signal: string | null,
): FailureClass | null {
  if (exitCode === 0 && signal === null && !parsed.isError) return null;
  return parsed.failureClass ?? 'transient';
}

/** The same last line `repeats` sessions in a row (this one included) means the agent is going in circles. */
export function isStuck(previousLastLines: string[], current: string | null, repeats = 3): boolean {
  if (current === null) return false;
  const normal = normalizeLine(current);
  if (!normal) return false;
  const needed = Math.max(0, repeats - 1);
  if (previousLastLines.length < needed) return false;
  return previousLastLines
    .slice(previousLastLines.length - needed)
    .every((line) => normalizeLine(line) === normal);
}

function normalizeLine(line: string): string {
  return line.trim().replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// Reset times
// ---------------------------------------------------------------------------------------------

const MINUTE = 60_000;
/** "Resets 3pm" read at 3:05pm means the limit just lifted, not that it lifts tomorrow. */
const JUST_PASSED = 15 * MINUTE;

/**
 * When a rate limit lifts, as ISO 8601, read from an agent's message; null if it does not say.
 * Understands, in this order: epoch seconds/ms (`usage limit reached|1767225600`), ISO timestamps,
 * a time of day with an optional date and zone (`resets 3pm`, `resets 5:00 PM (UTC)`,
 * `will reset at 3pm (America/Santiago)`, `try again at Oct 3rd, 2025 8:05 PM`), and relative
 * delays (`try again in 2 hours 15 minutes`, `Please retry in 37.5s`, `Retry-After: 60`,
 * `"retryDelay": "37s"`). A time without a zone is read in `defaultTimeZone`.
 */
export function parseResetTime(text: string, now: Date, defaultTimeZone = 'UTC'): string | null {
  const scan = text.slice(0, MAX_SCAN);
  const ms =
    epochReset(scan) ??
    isoReset(scan, defaultTimeZone) ??
    timeOfDayReset(scan, now, defaultTimeZone) ??
    relativeReset(scan, now);
  return ms === null ? null : new Date(ms).toISOString();
}

const EPOCH = /(?:\||\b(?:resets?|reset_at|resets_at|reset_time|until)\b\D{0,12}?)(\d{10}(?:\d{3})?)(?!\d)/i;
const YEAR_2000 = Date.UTC(2000, 0, 1);
const YEAR_2100 = Date.UTC(2100, 0, 1);

function epochReset(text: string): number | null {
  const m = EPOCH.exec(text);
  if (!m) return null;
  const digits = m[1] as string;
  const ms = digits.length === 13 ? Number(digits) : Number(digits) * 1000;
  return ms >= YEAR_2000 && ms < YEAR_2100 ? ms : null;
}

// Only a timestamp introduced as a reset counts: log lines start with timestamps of their own.
const ISO =
  /\b(?:resets?|reset_at|resets_at|until|after|at)\b\W{0,5}(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s?(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?/i;

function isoReset(text: string, defaultTimeZone: string): number | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const zoneName =
    zone === undefined ? defaultTimeZone : zone === 'Z' ? 'UTC' : /^[+-]/.test(zone) ? `UTC${zone}` : zone;
  const tz = resolveZone(zoneName) ?? resolveZone('UTC');
  if (!tz) return null;
  const wall = { y: Number(y), mo: Number(mo) - 1, d: Number(d), h: Number(h), mi: Number(mi) };
  if (!validWall(wall)) return null;
  const extraMs = Number(s ?? 0) * 1000 + Math.floor(Number(`0.${frac ?? '0'}`) * 1000);
  return tz.toUtc(wall) + extraMs;
}

const TIME_OF_DAY = new RegExp(
  String.raw`\b(?:(?:will\s+)?resets?(?:\s+at)?|try\s+again\s+at|available\s+again\s+at|until)\s+` +
    String.raw`(?:on\s+)?(?:([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(\d{4}),?\s+)?(?:at\s+)?)?` +
    String.raw`(\d{1,2})(?::(\d{2}))?\s*(?:([ap])\.?m\b\.?)?` +
    String.raw`(?:\s*\(([^)\n]{1,64})\)|\s*\b((?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[A-Z]{2,5}T)\b)?`,
  'gi',
);

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function timeOfDayReset(text: string, now: Date, defaultTimeZone: string): number | null {
  for (const m of text.matchAll(TIME_OF_DAY)) {
    const [, monthName, day, year, hour, minute, ampm, zoneInParens, bareZone] = m;
    // "resets 5 times" is not a time: insist on am/pm or minutes.
    if (ampm === undefined && minute === undefined) continue;
    let h = Number(hour);
    const mi = Number(minute ?? 0);
    if (ampm !== undefined) {
      if (h < 1 || h > 12) continue;
      h = (h % 12) + (ampm.toLowerCase() === 'p' ? 12 : 0);
    }
    if (h > 23 || mi > 59) continue;
    const tz =
      resolveZone(zoneInParens ?? bareZone ?? defaultTimeZone) ??
      resolveZone(defaultTimeZone) ??
      resolveZone('UTC');
    if (!tz) continue;
    const today = tz.wallDate(now.getTime());
    if (monthName !== undefined) {
      const mo = MONTHS.indexOf(monthName.slice(0, 3).toLowerCase());
      if (mo < 0) continue;
      const wall = { y: year !== undefined ? Number(year) : today.y, mo, d: Number(day), h, mi };
      if (!validWall(wall)) continue;
      let at = tz.toUtc(wall);
      // "Jan 2" read in late December is next year's.
      if (year === undefined && at < now.getTime() - 24 * 60 * MINUTE)
        at = tz.toUtc({ ...wall, y: wall.y + 1 });
      return at;
    }
    const at = tz.toUtc({ ...today, h, mi });
    return at > now.getTime() - JUST_PASSED ? at : tz.toUtc({ ...today, d: today.d + 1, h, mi });
  }
  return null;
}

const RELATIVE =
  /\b(?:in|after)\s+((?:\d+(?:\.\d+)?\s*(?:days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])[\s,]*(?:and\s+)?){1,4})/i;
const RETRY_AFTER = /\bretry-after:?\s*(\d+)(?!\s*[a-z.\d])/i;
const RETRY_DELAY = /\bretry_?delay\W{0,4}(\d+(?:\.\d+)?)s\b/i;
const UNIT_MS: Record<string, number> = { d: 24 * 60 * MINUTE, h: 60 * MINUTE, m: MINUTE, s: 1000 };

function relativeReset(text: string, now: Date): number | null {
  const rel = RELATIVE.exec(text);
  if (rel) {
    let total = 0;
    for (const part of (rel[1] as string).matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/gi)) {
      const unit = (part[2] as string).toLowerCase();
      // "min"/"minutes" and "m" are minutes; "mo"nths never reach here.
      const key = unit.startsWith('mi') ? 'm' : (unit[0] as string);
      total += Number(part[1]) * (UNIT_MS[key] ?? 0);
    }
    if (total > 0) return now.getTime() + Math.round(total);
  }
  const after = RETRY_AFTER.exec(text);
  if (after) return now.getTime() + Number(after[1]) * 1000;
  const delay = RETRY_DELAY.exec(text);
  if (delay) return now.getTime() + Math.round(Number(delay[1]) * 1000);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Time zones: fixed offsets, common abbreviations, and IANA names through Intl (no tz database here).
// ---------------------------------------------------------------------------------------------

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
}

interface Zone {
  /** The UTC instant of a wall-clock time in this zone (day overflow is normalised, as Date.UTC does). */
  toUtc(wall: Wall): number;
  /** Today's date in this zone at an instant (time fields zero). */
  wallDate(ms: number): Wall;
}

/** Minutes east of UTC. `IST` is read as India, the likelier meaning in an agent's reset notice. */
const ABBREVIATIONS: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  UT: 0,
  Z: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  CET: 60,
  CEST: 120,
  EET: 120,
  EEST: 180,
  IST: 330,
  SGT: 480,
  JST: 540,
  KST: 540,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
  HST: -600,
  AKST: -540,
  AKDT: -480,
  PST: -480,
  PDT: -420,
  MST: -420,
  MDT: -360,
  CST: -360,
  CDT: -300,
  EST: -300,
  EDT: -240,
};

function validWall(w: Wall): boolean {
  return w.mo >= 0 && w.mo < 12 && w.d >= 1 && w.d <= 31 && w.h >= 0 && w.h < 24 && w.mi >= 0 && w.mi < 60;
}

function fixedZone(offsetMinutes: number): Zone {
  const offset = offsetMinutes * MINUTE;
  return {
    toUtc: (w) => Date.UTC(w.y, w.mo, w.d, w.h, w.mi) - offset,
    wallDate: (ms) => {
      const t = new Date(ms + offset);
      return { y: t.getUTCFullYear(), mo: t.getUTCMonth(), d: t.getUTCDate(), h: 0, mi: 0 };
    },
  };
}

function ianaZone(name: string): Zone | null {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return null;
  }
  const wallAt = (ms: number): Wall & { s: number } => {
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(new Date(ms)))
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    return {
      y: parts.year ?? 1970,
      mo: (parts.month ?? 1) - 1,
      d: parts.day ?? 1,
      h: (parts.hour ?? 0) % 24,
      mi: parts.minute ?? 0,
      s: parts.second ?? 0,
    };
  };
  const offsetAt = (ms: number): number => {
    const w = wallAt(ms);
    return Date.UTC(w.y, w.mo, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
  };
  return {
    toUtc: (w) => {
      const guess = Date.UTC(w.y, w.mo, w.d, w.h, w.mi);
      const first = guess - offsetAt(guess);
      // Near a DST switch the offset at the guess and at the answer differ; the second reading is right.
      const second = guess - offsetAt(first);
      return second;
    },
    wallDate: (ms) => ({ ...wallAt(ms), h: 0, mi: 0 }),
  };
}

function resolveZone(raw: string): Zone | null {
  const name = raw.trim();
  const upper = name.toUpperCase();
  const abbreviation = ABBREVIATIONS[upper];
  if (abbreviation !== undefined) return fixedZone(abbreviation);
  const offset = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(upper);
  if (offset) {
    const minutes = Number(offset[2]) * 60 + Number(offset[3] ?? 0);
    return minutes <= 14 * 60 ? fixedZone(offset[1] === '-' ? -minutes : minutes) : null;
  }
  // IANA names only: they always contain a slash (bare words like "today" are not zones).
  return name.includes('/') ? ianaZone(name) : null;
}
