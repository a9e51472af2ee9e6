/**
 * The one step policy of builds, loops and scheduled sessions (which are one-session loops): what the
 * end of an agent session means for its step. Pure and workflow-safe; the workflows only act on the
 * verdict (rerun, park, retry after the interval, or ask the person).
 *
 * | how the session ended                  | what happens                         | attempt spent |
 * |----------------------------------------|--------------------------------------|---------------|
 * | done                                   | the step goes on (attempts kept on record) | -       |
 * | pause `--now` or skip                  | runs again once the pause/skip lets  | no            |
 * | worker shut down gracefully            | runs again at once on another worker | no            |
 * | worker lost (heartbeat timeout)        | runs again at once; 10 in a row: person (`worker-lost`) | no |
 * | resumed agent session gone             | runs again at once, fresh agent session | no         |
 * | rate-limited                           | parks until the reset; 20 in a row: person (`rate-limited`) | no |
 * | auth, budget-exceeded, permission-blocked, stuck | the person, at once, with the reason | no     |
 * (stuck: the agent said so, or the same last line 3 failures in a row while attempts remain)
 * | transient failure, crash, too long     | retried after the interval; last attempt: person (`escalated`) | yes |
 * | stalled                                | retried after the interval; last attempt: person (`stalled`)   | yes |
 */
import { isStuck } from '../../agents/classify';
import type { FailureClass } from '../../agents/types';
import { MAX_RATE_LIMIT_PARKS } from './rateLimit';
import type { Attempt, WaitReason } from '../build/state';
import type { SessionEnd } from './watchedSession';

/** Lost workers in a row before the person is asked: a restart or two is routine, ten is not. */
export const MAX_WORKER_LOSSES = 10;
/** The same last line this many failed sessions in a row means the agent is going in circles. */
export const STUCK_REPEATS = 3;
/** Failure classes that no retry will fix: the person decides at once, no attempt spent. */
export const ESCALATE_AT_ONCE: readonly FailureClass[] = ['auth', 'budget-exceeded', 'permission-blocked', 'stuck'];

/** How one session of a step ended, in the terms the policy decides on. */
export type StepEnding =
  | { kind: 'done' }
  /** Cancelled by `pause --now` or `skip`: the workflow's own gates decide what comes next. */
  | { kind: 'interrupted' }
  /** Its worker shut down gracefully (SIGTERM) and handed the session back. */
  | { kind: 'handed-over' }
  /** Its worker stopped heartbeating: killed, out of memory, or cut off. */
  | { kind: 'worker-lost'; error: string }
  | { kind: 'stalled'; error: string }
  /** The activity itself failed (ran longer than allowed, the agent could not start). */
  | { kind: 'crashed'; error: string }
  /** The agent ran and failed; `resumed` says whether it was asked to resume an agent session. */
  | {
      kind: 'failed';
      failureClass: FailureClass;
      error: string;
      lastLine: string | null;
      resetAt: string | null;
      sessionGone: boolean;
      resumed: boolean;
    };

/** What a step has been through so far; the verdict carries the next values. */
export interface StepCounters {
  /** Attempts spent: only failures a retry may fix count. */
  attempts: number;
  /** Rate-limit parks in a row. */
  parks: number;
  /** Lost workers in a row. */
  workerLosses: number;
  /** Last lines of recent failed sessions, to notice an agent going in circles. */
  recentFailures: string[];
}

export interface StepContext {
  /** The step in words, for the person: `checkpoint 2, task group a`, `session 4`. */
  subject: string;
  maxAttempts: number;
}

export type StepDecision =
  | { kind: 'done' }
  /** Run the session again now, without spending an attempt or waiting. */
  | { kind: 'rerun'; why: 'interrupted' | 'handed-over' | 'worker-lost' | 'session-gone' }
  /** Wait for the usage limit to reset (or `retry`), then run again; no attempt spent. */
  | { kind: 'park'; resetAt: string | null }
  /** An attempt was spent: wait the retry interval (or `retry`), then run again. */
  | { kind: 'retry' }
  /** Ask the person, with the reason they see in `status` and the notification. */
  | { kind: 'escalate'; reason: WaitReason; message: string };

export interface StepVerdict {
  decision: StepDecision;
  counters: StepCounters;
  /** The session as the attempts log records it; null when nothing failed (done, pause, hand-over). */
  record: { outcome: Attempt['outcome']; error: string } | null;
  /** Drop the agent session id: the next run starts a fresh agent session with the full prompt. */
  forgetAgentSession: boolean;
}

export function freshCounters(): StepCounters {
  return { attempts: 0, parks: 0, workerLosses: 0, recentFailures: [] };
}

/** A person's `retry`: the step starts over with every count at zero. */
export function afterPersonRetry(counters: StepCounters): StepCounters {
  return { ...counters, ...freshCounters() };
}

/** How the shared watched session ended, as a step ending; `resumed` when it resumed an agent session. */
export function stepEnding(end: SessionEnd, limits: { stallTimeoutMs: number; maxSessionTimeMs: number }, resumed: boolean): StepEnding {
  switch (end.kind) {
    case 'interrupted':
    case 'handed-over':
      return { kind: end.kind };
    case 'stalled':
      return { kind: 'stalled', error: `no output for ${seconds(limits.stallTimeoutMs)}` };
    case 'failed':
      if (end.timeout === 'heartbeat') return { kind: 'worker-lost', error: 'the worker running the session stopped answering (no heartbeat)' };
      if (end.timeout === 'other') return { kind: 'crashed', error: `the session ran longer than --max-session-time (${seconds(limits.maxSessionTimeMs)})` };
      return { kind: 'crashed', error: end.message };
    case 'done': {
      const r = end.result;
      if (r.ok) return { kind: 'done' };
      const why = r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
      return {
        kind: 'failed',
        failureClass: r.failureClass ?? 'transient',
        error: `agent ${why}: ${r.failureMessage || r.stderrTail || r.lastLine || ''}`.trim(),
        lastLine: r.lastLine,
        resetAt: r.resetAt,
        sessionGone: r.sessionGone === true,
        resumed,
      };
    }
  }
}

/** The decision for a step after one of its sessions ended. */
export function judgeSession(ending: StepEnding, counters: StepCounters, ctx: StepContext): StepVerdict {
  const keep = (decision: StepDecision, next: Partial<StepCounters> = {}, record: StepVerdict['record'] = null, forget = false): StepVerdict => ({
    decision,
    counters: { ...counters, ...next },
    record,
    forgetAgentSession: forget,
  });
  switch (ending.kind) {
    case 'done':
      // The attempts it took stay on record (`status` shows them); everything else starts over.
      return keep({ kind: 'done' }, { ...freshCounters(), attempts: counters.attempts });
    case 'interrupted':
    case 'handed-over':
      return keep({ kind: 'rerun', why: ending.kind });
    case 'worker-lost': {
      const workerLosses = counters.workerLosses + 1;
      const record = { outcome: 'worker-lost' as const, error: ending.error };
      if (workerLosses < MAX_WORKER_LOSSES) return keep({ kind: 'rerun', why: 'worker-lost' }, { workerLosses }, record);
      const message = `${ctx.subject}: its worker was lost ${workerLosses} times in a row (${ending.error}); check that workers stay up and can reach the workspace`;
      return keep({ kind: 'escalate', reason: 'worker-lost', message }, { workerLosses }, record);
    }
    case 'stalled':
    case 'crashed':
      return spendAttempt(counters, ctx, ending.kind === 'stalled' ? 'stalled' : 'failed', ending.error, counters.recentFailures, false);
    case 'failed':
      return decideFailure(ending, counters, ctx);
  }
}

function decideFailure(ending: Extract<StepEnding, { kind: 'failed' }>, counters: StepCounters, ctx: StepContext): StepVerdict {
  // Any session that ran to an end means the workers are fine again.
  const base = { ...counters, workerLosses: 0, recentFailures: [...counters.recentFailures, ending.lastLine ?? ''].slice(-5) };
  if (ending.sessionGone && ending.resumed) {
    // The agent session to resume no longer exists: not the agent's fault, and a fresh one cannot be gone.
    return { decision: { kind: 'rerun', why: 'session-gone' }, counters: base, record: { outcome: 'failed', error: ending.error }, forgetAgentSession: true };
  }
  let failureClass = ending.failureClass;
  let error = ending.error;
  // Going in circles escalates early only when that saves attempts: on the last one it is a plain
  // failure, and the person sees `escalated` with the attempt count.
  const lastAttempt = counters.attempts + 1 >= ctx.maxAttempts;
  if (failureClass === 'transient' && !lastAttempt && isStuck(counters.recentFailures, ending.lastLine, STUCK_REPEATS)) {
    failureClass = 'stuck';
    error = `the same output ${STUCK_REPEATS} sessions in a row: ${ending.lastLine ?? ''}`;
  }
  if (failureClass === 'rate-limited') {
    const parks = counters.parks + 1;
    const record = { outcome: 'rate-limited' as const, error };
    if (parks <= MAX_RATE_LIMIT_PARKS) return { decision: { kind: 'park', resetAt: ending.resetAt }, counters: { ...base, parks }, record, forgetAgentSession: false };
    const message = `${ctx.subject}: the agent's usage limit did not lift after ${MAX_RATE_LIMIT_PARKS} waits; last: ${error}`;
    return { decision: { kind: 'escalate', reason: 'rate-limited', message }, counters: { ...base, parks }, record, forgetAgentSession: false };
  }
  if (ESCALATE_AT_ONCE.includes(failureClass)) {
    const reason = failureClass as WaitReason;
    return {
      decision: { kind: 'escalate', reason, message: `${ctx.subject}: ${error}` },
      counters: { ...base, parks: 0 },
      record: { outcome: reason as Attempt['outcome'], error },
      forgetAgentSession: false,
    };
  }
  return spendAttempt({ ...base, parks: 0 }, ctx, 'failed', error, base.recentFailures, ending.sessionGone);
}

function spendAttempt(
  counters: StepCounters,
  ctx: StepContext,
  outcome: 'failed' | 'stalled',
  error: string,
  recentFailures: string[],
  forget: boolean,
): StepVerdict {
  const next = { ...counters, attempts: counters.attempts + 1, workerLosses: 0, recentFailures };
  const record = { outcome, error };
  if (next.attempts < ctx.maxAttempts) return { decision: { kind: 'retry' }, counters: next, record, forgetAgentSession: forget };
  const message = `${ctx.subject} failed ${next.attempts} times; last error: ${error}`;
  return {
    decision: { kind: 'escalate', reason: outcome === 'stalled' ? 'stalled' : 'escalated', message },
    counters: next,
    record,
    forgetAgentSession: forget,
  };
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}
