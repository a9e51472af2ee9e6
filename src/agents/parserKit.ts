import { parseDevNoteLine } from '../model/devNote';
import { looksRateLimited, parseResetTime, type Clock } from './classify';
import { redactSecrets } from './redact';
import type { FailureClass, ParsedOutput } from './types';

/**
 * Building blocks the agent output parsers share. Parsers see every line an agent prints, which can
 * be megabytes (a tool result, a minified file), so nothing here keeps more than a capped slice.
 */

/** The longest text kept from one line (last line, failure message, DevNote). */
export const MAX_KEPT_CHARS = 4000;
/** An agent printing DevNotes in a loop must not grow the parsed output without bound. */
export const MAX_DEVNOTES = 500;

/** Options every adapter factory accepts. */
export interface AdapterOptions {
  /** Read when a message says "try again in 5 minutes"; tests inject a fixed instant. */
  now?: Clock;
}

export function capText(text: string, max = MAX_KEPT_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function promiseTag(completionPromise: string): string {
  return `<promise>${completionPromise}</promise>`;
}

/** The first non-blank line of a message, capped: enough to say what went wrong. */
export function firstLine(text: string): string {
  const head = text.slice(0, MAX_KEPT_CHARS * 4);
  const line = head.split('\n').find((l) => l.trim() !== '');
  return capText((line ?? '').trim());
}

/**
 * Reads text the agent itself wrote (not tool output, which may quote the prompt): DevNote lines,
 * the completion promise tag, and its last non-blank line.
 */
export function absorbText(out: ParsedOutput, text: string, tag: string): void {
  if (text.includes(tag)) out.promiseSeen = true;
  let last: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    last = line;
    if (out.devNotes.length < MAX_DEVNOTES && line.startsWith('DEVNOTE')) {
      const note = parseDevNoteLine(capText(line));
      if (note) out.devNotes.push(note);
    }
  }
  if (last !== null) out.lastLine = capText(last);
}

// ---------------------------------------------------------------------------------------------
// JSON lines
// ---------------------------------------------------------------------------------------------

export type JsonObject = Record<string, unknown>;

/** The line as a JSON object, or null for anything else (plain text, truncated JSON, arrays). */
export function parseJsonObject(line: string): JsonObject | null {
  const text = line.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return null;
  try {
    return asObject(JSON.parse(text));
  } catch {
    return null;
  }
}

export function asObject(value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export { addUsage } from './types';

// ---------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------

/** Why a session failed, as read from one message. */
export interface Failure {
  failureClass: FailureClass;
  message: string;
  resetAt: string | null;
}

/** A rate-limit message reads as `rate-limited` (with its reset time); any other error as `transient`. */
export function failureFromMessage(message: string, now: Clock): Failure {
  if (looksRateLimited(message))
    return {
      failureClass: 'rate-limited',
      message: firstLine(message),
      resetAt: parseResetTime(message, now()),
    };
  return { failureClass: 'transient', message: firstLine(message), resetAt: null };
}

/**
 * The newer of two failure notices, keeping the older one's reset time when the newer does not say:
 * agents print several lines per failure and only one of them tends to carry the time.
 */
export function laterFailure(previous: Failure | null, next: Failure): Failure {
  return previous && next.resetAt === null && previous.failureClass === next.failureClass
    ? { ...next, resetAt: previous.resetAt }
    : next;
}

/** Records a failure. `isError` is set only when the agent itself reported one; see `classifyExit`. */
export function applyFailure(out: ParsedOutput, failure: Failure, isError: boolean): void {
  out.failureClass = failure.failureClass;
  out.failureMessage = failure.message;
  out.resetAt = failure.resetAt;
  if (isError) out.isError = true;
}

/**
 * What `result()` hands out: a copy (later lines must not change an earlier answer) with the text an
 * agent wrote passed through `redactSecrets`, since it ends up in status messages and logs. A `hint`
 * (a limit notice in plain output) fills the failure fields when nothing else did, without setting
 * `isError`: it explains a failed exit but does not turn a clean one into a failure.
 */
export function snapshot(out: ParsedOutput, hint: Failure | null = null): ParsedOutput {
  const failure = hint && out.failureClass === null ? hint : null;
  const failureMessage = failure ? failure.message : out.failureMessage;
  return {
    ...out,
    ...(failure ? { failureClass: failure.failureClass, resetAt: failure.resetAt } : {}),
    devNotes: out.devNotes.map((n) => ({ category: n.category, content: redactSecrets(n.content) })),
    lastLine: out.lastLine === null ? null : redactSecrets(out.lastLine),
    failureMessage: failureMessage === null ? null : redactSecrets(failureMessage),
    usage: out.usage === null ? null : { ...out.usage },
  };
}
