/**
 * The names of the markers on a workflow's timeline in the Web UI: a one-line summary on every
 * activity and timer the workflows schedule. Pure and workflow-safe; summaries are user metadata on
 * the command, so changing their text never breaks replay.
 */
import { formatDuration } from '../../model/duration';
import { wallClock } from '../../model/offHours';

/** A proxied activity; `executeWithOptions` merges the call's options into the proxy's. */
interface Schedulable<A extends unknown[], R> {
  executeWithOptions(options: { summary?: string }, args: A): Promise<R>;
}

/** Calls the activity `fn` with `args`, its marker named `summary`. */
export function named<A extends unknown[], R>(fn: Schedulable<A, R>, summary: string, ...args: A): Promise<R> {
  return fn.executeWithOptions({ summary: oneLine(summary) }, args);
}

/** The options of a named timer (`sleep` or `condition` with a timeout). */
export function timer(summary: string): { summary: string } {
  return { summary: oneLine(summary) };
}

/** `4h`, `5m`, `90s`, `1.5s`: a wait as people write it. */
export function wait(ms: number): string {
  const whole = Math.round(ms);
  if (whole >= 1000 && whole % 1000 !== 0 && whole < 60_000) return `${(whole / 1000).toFixed(1)}s`;
  if (whole > 60_000 && whole % 1000 !== 0) return formatDuration(Math.round(whole / 1000) * 1000);
  return formatDuration(whole);
}

/** `03:10 UTC` (or `22:00 Europe/Berlin`): the wall-clock time of an instant. */
export function clock(iso: string, timeZone = 'UTC'): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const w = wallClock(at, timeZone);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')} ${timeZone}`;
}

/** `session 3 · checkpoint 2 · task group 2.1 · claude`, with what makes the session special. */
export function sessionMarker(p: { session: number; checkpoint: string; group: string; agent: string; resume?: boolean; fixing?: boolean }): string {
  return [
    `session ${p.session}`,
    `checkpoint ${p.checkpoint}`,
    `task group ${p.group}`,
    p.agent,
    p.fixing ? 'fixing verification' : '',
    p.resume ? 'resumed' : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** `retry wait 5m · attempt 2 of 3 · checkpoint 1, task group 1.1`. */
export function retryWaitMarker(ms: number, nextAttempt: number, maxAttempts: number, step?: string): string {
  return [`retry wait ${wait(ms)}`, `attempt ${nextAttempt} of ${maxAttempts}`, step ?? ''].filter(Boolean).join(' · ');
}

/** `usage limit until 03:10 UTC · checkpoint 1, task group 1.1`. */
export function usageLimitMarker(wakeAt: string, step?: string): string {
  return [`usage limit until ${clock(wakeAt)}`, step ?? ''].filter(Boolean).join(' · ');
}

/** Summaries are single lines, short enough for the timeline. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}
