/**
 * Loop state (seed 003): one plain-JSON object, returned by the `status` query, carried across
 * continue-as-new, and (its counters) across `nightshift loop --continue`. Every change is a small
 * pure function here; the workflow only calls them.
 *
 * Two kinds of numbers: totals (`sessions`, `costUsd`, `falseCompletionCount`) belong to the task and
 * are never reset; `run` counts what this runner did since it was started or continued, and the
 * limits (`maxSessions`, `buildBudgetUsd`) apply to it, so `--continue` after `max-sessions-reached`
 * gets another `maxSessions` sessions while session numbers keep counting up.
 */
import type { LoopRequest, LoopStatus } from '../../model/loopRequest';
import type { WaitReason } from '../build/state';
import type { StepCounters } from '../shared/stepPolicy';
import type { HookIteration, HookProgress } from './hookState';
import { addUsage, type Usage } from '../../agents/types';

export type CompletionSource = 'promise' | 'checkboxes';

export interface Checkboxes {
  done: number;
  total: number;
}

/** A completion the agent claimed but `verify` refused: the loop went on. */
export interface FalseCompletion {
  session: number;
  by: CompletionSource;
  output: string;
  at: string;
}

/** What `--continue` carries from one runner to the next (also kept in the workflow's memo). */
export interface LoopCounters {
  sessions: number;
  costUsd: number;
  falseCompletionCount: number;
  falseCompletions: FalseCompletion[];
}

export interface LoopState extends LoopCounters {
  taskName: string;
  /** The host whose worker first ran the loop (its checkout is there); absent: any worker (no hosts). */
  host?: string;
  workflowId: string;
  request: LoopRequest;
  status: LoopStatus;
  run: { sessions: number; costUsd: number; startedAt: string };
  /** Tokens the agents reported, summed over this runner's sessions (absent in loops started before). */
  tokens?: Usage;
  /** The session being run (kept while a failing session is retried under the same number). */
  current: number | null;
  /** Failed attempts of the current session (as the step policy counts them). */
  attempts: number;
  /** Last lines of recent failed sessions, to notice an agent going in circles (absent in older runs). */
  recentFailures?: string[];
  completion: { by: CompletionSource; session: number; verified: boolean } | null;
  checkboxes: Checkboxes | null;
  nextItem: string | null;
  /** Why the last claimed completion was refused; shown to the next session once. */
  rejection: string | null;
  waiting: { reason: WaitReason; message: string; since: string } | null;
  pendingDecision: Decision | null;
  retryNow: boolean;
  stopReason: string | null;
  lastOutput: string | null;
  lastError: string | null;
  lastCommit: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Hook mode only (absent in headless loops and older runs): the stops the Stop hook reported. */
  hook?: HookProgress;
}

export type Decision = { kind: 'retry' } | { kind: 'override'; note: string };

export interface LoopStatusView extends LoopCounters {
  taskName: string;
  /** The host the loop runs on (null: any worker). */
  host: string | null;
  workflowId: string;
  mode: LoopRequest['mode'];
  /** `hook`: an interactive Claude Code session drives the loop through its Stop hook. */
  execution: 'headless' | 'hook';
  status: LoopStatus;
  repo: string;
  /** `<repo>/.autonomous/<taskName>`: task_list.md, progress.md, sessions/. */
  dir: string;
  sessionLogs: string;
  maxSessions: number | null;
  runSessions: number;
  /** Tokens the agents reported in this runner's sessions (zero for agents that report none). */
  tokens: Usage;
  runCostUsd: number;
  completionPromise: string;
  completion: LoopState['completion'];
  checkboxes: Checkboxes | null;
  nextItem: string | null;
  waiting: LoopState['waiting'];
  attempts: number;
  stopReason: string | null;
  lastOutput: string | null;
  lastError: string | null;
  lastCommit: string | null;
  /** Hook mode: the most recent stops the hook reported, oldest first (empty in headless loops). */
  iterations: HookIteration[];
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export const LOOP_TERMINAL: readonly LoopStatus[] = ['completed', 'max-sessions-reached', 'budget-exceeded', 'failed', 'cancelled'];

/** Kept small: the state travels in every query answer and continue-as-new. */
const MAX_FALSE_COMPLETIONS = 20;
const MAX_TEXT = 2000;

export function loopDir(repo: string, taskName: string): string {
  return `${repo.replace(/\/+$/, '')}/.autonomous/${taskName}`;
}

export function initialLoopState(request: LoopRequest, workflowId: string, now: string, counters?: LoopCounters): LoopState {
  return {
    taskName: request.taskName,
    workflowId,
    request,
    status: 'running',
    sessions: counters?.sessions ?? 0,
    costUsd: counters?.costUsd ?? 0,
    falseCompletionCount: counters?.falseCompletionCount ?? 0,
    falseCompletions: [...(counters?.falseCompletions ?? [])],
    run: { sessions: 0, costUsd: 0, startedAt: now },
    current: null,
    attempts: 0,
    recentFailures: [],
    completion: null,
    checkboxes: null,
    nextItem: null,
    rejection: null,
    waiting: null,
    pendingDecision: null,
    retryNow: false,
    stopReason: null,
    lastOutput: null,
    lastError: null,
    lastCommit: null,
    startedAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}

export function countersOf(state: LoopState): LoopCounters {
  return {
    sessions: state.sessions,
    costUsd: state.costUsd,
    falseCompletionCount: state.falseCompletionCount,
    falseCompletions: state.falseCompletions,
  };
}

export function isLoopFinished(state: Pick<LoopState, 'status'>): boolean {
  return LOOP_TERMINAL.includes(state.status);
}

/**
 * Why the loop must stop before starting another session, or null. Checked before each session,
 * after the previous one's completion was looked at, so the last allowed session's completion wins.
 */
export function limitBeforeSession(state: LoopState): { status: LoopStatus; reason: string } | null {
  const r = state.request;
  // A failing session retried under its own number is not a new session.
  if (state.current === null && r.maxSessions !== undefined && state.run.sessions >= r.maxSessions) {
    return { status: 'max-sessions-reached', reason: `ran ${state.run.sessions} of at most ${r.maxSessions} sessions without completion` };
  }
  if (r.buildBudgetUsd !== undefined && state.run.costUsd >= r.buildBudgetUsd) {
    return { status: 'budget-exceeded', reason: `spent $${state.run.costUsd.toFixed(2)} of the $${r.buildBudgetUsd.toFixed(2)} budget` };
  }
  return null;
}

/**
 * The number of the session to run: a new one, or the current one again when it failed and is being
 * retried (its transcript is appended to, so one number never means two different logs).
 */
export function beginSession(state: LoopState): number {
  if (state.current === null) {
    state.sessions += 1;
    state.run.sessions += 1;
    state.current = state.sessions;
  }
  return state.current;
}

/** Every attempt costs money and tokens, failed ones included. */
export function addCost(state: LoopState, costUsd: number | null | undefined, usage?: Usage | null): void {
  if (usage) state.tokens = addUsage(state.tokens, usage);
  const cost = typeof costUsd === 'number' && Number.isFinite(costUsd) && costUsd > 0 ? costUsd : 0;
  state.costUsd = round(state.costUsd + cost);
  state.run.costUsd = round(state.run.costUsd + cost);
}

/** A session that cost more than its own budget ends the loop: the agent did not respect its cap. */
export function sessionOverBudget(state: LoopState, costUsd: number | null | undefined): boolean {
  const cap = state.request.sessionBudgetUsd;
  return cap !== undefined && typeof costUsd === 'number' && costUsd > cap;
}

/** The step policy's counts after a session of the loop, and the error the person sees, if it failed. */
export function sessionJudged(state: LoopState, counters: StepCounters, error: string | null): void {
  state.attempts = counters.attempts;
  state.recentFailures = counters.recentFailures;
  if (error !== null) state.lastError = clip(error);
}

export function sessionDone(state: LoopState): void {
  state.current = null;
  state.attempts = 0;
  state.recentFailures = [];
}

/** What the agent claims: the promise (both modes) or, in structured mode, every box ticked. */
export function claimedCompletion(mode: LoopRequest['mode'], promiseSeen: boolean, boxes: Checkboxes | null): CompletionSource | null {
  if (promiseSeen) return 'promise';
  if (mode === 'structured' && boxes && boxes.total > 0 && boxes.done === boxes.total) return 'checkboxes';
  return null;
}

export function acceptCompletion(state: LoopState, by: CompletionSource, session: number, verified: boolean): void {
  state.completion = { by, session, verified };
  state.rejection = null;
}

export function rejectCompletion(state: LoopState, by: CompletionSource, session: number, output: string, at: string): void {
  const clipped = clip(output);
  state.falseCompletionCount += 1;
  state.falseCompletions.push({ session, by, output: clipped, at });
  if (state.falseCompletions.length > MAX_FALSE_COMPLETIONS) state.falseCompletions.splice(0, state.falseCompletions.length - MAX_FALSE_COMPLETIONS);
  state.rejection = `Session ${session} claimed completion (${by === 'promise' ? 'promise tag' : 'all boxes ticked'}), but \`${state.request.verify ?? ''}\` failed:\n${clipped}`;
}

/** The rejection is told to the next session once. */
export function takeRejection(state: LoopState): string | null {
  const r = state.rejection;
  state.rejection = null;
  return r;
}

export function finishLoop(state: LoopState, status: LoopStatus, reason: string | null, now: string): void {
  state.status = status;
  state.stopReason = reason;
  state.finishedAt = now;
  state.updatedAt = now;
}

// ---- the person's decisions on an escalated session ----

export function validateLoopRetry(state: LoopState): string | undefined {
  if (state.status === 'awaiting-human') return undefined;
  // Waiting out the retry interval after a failed attempt, or parked on a usage limit: end the wait.
  if ((state.attempts > 0 || state.status === 'rate-limited') && !isLoopFinished(state)) return undefined;
  return `loop ${state.taskName} has no failed session to retry (it is ${state.status})`;
}

export function validateLoopOverride(state: LoopState, note: string | undefined): string | undefined {
  if (!note?.trim()) return 'override needs a note saying why the failed session is accepted';
  if (state.status !== 'awaiting-human') return `loop ${state.taskName} is not waiting for a decision (it is ${state.status})`;
  return undefined;
}

export function applyLoopRetry(state: LoopState): void {
  if (state.status === 'awaiting-human') state.pendingDecision = { kind: 'retry' };
  else state.retryNow = true;
}

export function applyLoopOverride(state: LoopState, note: string): void {
  state.pendingDecision = { kind: 'override', note };
}

export function toLoopStatus(state: LoopState): LoopStatusView {
  const r = state.request;
  const dir = loopDir(r.repo, state.taskName);
  return {
    taskName: state.taskName,
    host: state.host ?? null,
    workflowId: state.workflowId,
    mode: r.mode,
    execution: r.execution ?? 'headless',
    status: state.status,
    repo: r.repo,
    dir,
    sessionLogs: `${dir}/sessions`,
    sessions: state.sessions,
    maxSessions: r.maxSessions ?? null,
    runSessions: state.run.sessions,
    runCostUsd: state.run.costUsd,
    costUsd: state.costUsd,
    tokens: addUsage(state.tokens, null),
    completionPromise: r.completionPromise,
    completion: state.completion,
    falseCompletionCount: state.falseCompletionCount,
    falseCompletions: state.falseCompletions,
    checkboxes: state.checkboxes,
    nextItem: state.nextItem,
    waiting: state.waiting,
    attempts: state.attempts,
    stopReason: state.stopReason,
    lastOutput: state.lastOutput,
    lastError: state.lastError,
    lastCommit: state.lastCommit,
    iterations: state.hook?.iterations ?? [],
    startedAt: state.startedAt,
    updatedAt: state.updatedAt,
    finishedAt: state.finishedAt,
  };
}

/**
 * The commit subject's summary: the agent's last line without the promise tag, one line, at most 72
 * characters (git's conventional subject width).
 */
export function sessionSummary(lastLine: string | null, fallback = 'no output'): string {
  const text = (lastLine ?? '')
    .replace(/<promise>[\s\S]*?<\/promise>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const summary = text || (/<promise>/.test(lastLine ?? '') ? 'declared completion' : fallback);
  return summary.length > 72 ? `${summary.slice(0, 71)}…` : summary;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `…${text.slice(-MAX_TEXT)}` : text;
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
