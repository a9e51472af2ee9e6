/**
 * Build state: one plain-JSON object, returned by the `status` query and carried across
 * continue-as-new. Every change goes through a small pure function here so tests can call it
 * directly; the workflow's handlers only call these.
 */
import type { DevNote, DevNoteCategory } from '../../model/devNote';
import type { Plan } from '../../model/plan';
import type { FileChange, SeedReport, VerificationLine } from '../../model/seedReports';
import type { BuildRequest } from '../../model/request';
import { addUsage, type Usage } from '../../agents/types';
import type { Feedback, Override, Pause, Skip } from './messages';

export type BuildStatus =
  | 'running'
  | 'verifying'
  | 'committing'
  | 'paused'
  | 'awaiting-human'
  | 'rate-limited'
  | 'completed'
  | 'failed'
  | 'cancelled';
export type WaitReason =
  | 'escalated'
  /** `--gate checkpoint`: a checkpoint is committed; `resume` runs the next one (gate.ts). */
  | 'checkpoint-review'
  | 'verification-failed'
  | 'stalled'
  | 'budget-exceeded'
  | 'permission-blocked'
  | 'stuck'
  | 'rate-limited'
  | 'auth'
  | 'worker-lost'
  | 'push-failed'
  | 'setup-failed';
export type StepStatus = 'pending' | 'running' | 'done' | 'skipped' | 'overridden';
export type CheckpointStatus = 'pending' | 'running' | 'verifying' | 'committing' | 'completed' | 'skipped';

export interface TaskGroupProgress {
  id: string;
  title: string;
  status: StepStatus;
  attempts: number;
}
export interface CheckpointProgress {
  id: string;
  title: string;
  status: CheckpointStatus;
  commit: string | null;
  verifyAttempts: number;
  taskGroups: TaskGroupProgress[];
  /** Its last verification's steps and the files its commit changed, for the seed-001 reports. */
  verification?: VerificationLine[];
  files?: FileChange[];
  /** The push of its commit to the remote branch (null until tried; absent when the build does not push). */
  push?: CheckpointPush | null;
}
/** Whether the remote shows a checkpoint's commit (`pushed` only once `git ls-remote` did). */
export interface CheckpointPush {
  remote: string;
  commit: string;
  pushed: boolean;
  /** Why it is not pushed: the push error, or the person's note when they went on without it. */
  note?: string;
}
/** The workspace a build works in, and (from this version on) which host owns it. */
export interface BuildWorkspace {
  path: string;
  branch: string;
  baseCommit?: string;
  /** The host that prepared it; its workspace activities run on `<queue>@<host>`. */
  host?: string;
  /** 1 for the first host, +1 for each takeover: a worktree of an older epoch is stale. */
  epoch?: number;
  /** Where checkpoints are pushed (the repo's remote), or null when the build does not push. */
  remote?: { name: string; url: string } | null;
}
export type Decision = { kind: 'retry' } | { kind: 'override'; note: string } | { kind: 'skip'; note: string };
export interface Waiting {
  reason: WaitReason;
  step: string;
  message: string;
  since: string;
}
export interface Attempt {
  step: string;
  session: number | null;
  outcome: 'failed' | 'stalled' | 'verification-failed' | 'worker-lost' | 'rate-limited' | 'budget-exceeded' | 'permission-blocked' | 'stuck' | 'auth';
  error: string;
  at: string;
}

export interface BuildState {
  /** Seed 001's reports as they happened (seedReports.ts); absent in builds started before them. */
  reports?: SeedReport[];
  label: string;
  workflowId: string;
  runId: string;
  request: BuildRequest;
  status: BuildStatus;
  waiting: Waiting | null;
  pauseRequested: Pause | null;
  pendingDecision: Decision | null;
  retryNow: boolean;
  /** Waiting out the retry interval or a rate limit: `retry` ends the wait now. */
  retryWaiting: boolean;
  checkpoints: CheckpointProgress[];
  position: { checkpoint: string | null; taskGroup: string | null };
  sessions: number;
  attempts: Attempt[];
  lastError: string | null;
  lastOutput: string | null;
  devNotes: DevNote[];
  feedback: string[];
  workspace: BuildWorkspace | null;
  /** USD reported by agents, summed over every session: survives retries, crashes and continue-as-new. */
  spentUsd: number;
  /** Tokens reported by agents, summed over every session (absent in builds started before). */
  tokens?: Usage;
  /** Extra build budget granted by a person's `retry` after `budget-exceeded`. */
  budgetGrantedUsd: number;
  /** Per step: the agent's own session id, resumed on a retry (claude, codex). */
  agentSessions: Record<string, string>;
  /** Last lines of recent failed sessions, to notice an agent going in circles. */
  recentFailures: string[];
  /** The worktree whose setup commands have run (buildSetup.ts `setupKey`); absent before any. */
  setupDone?: string;
  /** How the completed build was delivered (a pull request or the delivery command); absent before. */
  delivery?: Delivery | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** A completed build's delivery: `delivered` with the URL (when one was printed), or `failed` with why. */
export interface Delivery {
  state: 'delivered' | 'failed' | 'none';
  /** `pr` (gh pr create), `command` (--deliver / config `deliver`), or `none` (nothing to deliver with). */
  via: 'pr' | 'command' | 'none';
  url: string | null;
  draft?: boolean;
  error?: string;
  at: string;
}

export interface BuildStatusView {
  /** Seed 001's reports, oldest first (`nightshift status LABEL --report`). */
  reports: SeedReport[];
  label: string;
  workflowId: string;
  runId: string;
  status: BuildStatus;
  reason: WaitReason | null;
  waiting: Waiting | null;
  pauseRequested: boolean;
  position: BuildState['position'];
  percentComplete: number;
  checkpoints: { id: string; title: string; status: CheckpointStatus; commit: string | null; push: CheckpointPush | null; taskGroups: TaskGroupProgress[] }[];
  devNotes: { category: DevNoteCategory; content: string; scope: DevNote['scope']; at: string }[];
  attempts: Attempt[];
  sessions: number;
  lastError: string | null;
  lastOutput: string | null;
  branch: string | null;
  worktree: string | null;
  /** The host that owns the worktree (null: any worker; builds started before hosts). */
  host: string | null;
  repo: string;
  planTitle: string;
  policy: BuildRequest['policy'];
  agent: BuildRequest['agent']['kind'];
  spentUsd: number;
  /** Tokens the agents reported, summed over every session (zero for agents that report none). */
  tokens: Usage;
  /** null when the build has no budget. */
  remainingUsd: number | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** How the completed build was delivered; null until it was tried. */
  delivery: Delivery | null;
}

export const TERMINAL: readonly BuildStatus[] = ['completed', 'failed', 'cancelled'];

function selectedCheckpoints(plan: Plan, only: BuildRequest['only']): Plan['checkpoints'] {
  if (!only?.checkpoint) return plan.checkpoints;
  return plan.checkpoints.filter((cp) => cp.id === only.checkpoint);
}

export function initialState(request: BuildRequest, ids: { workflowId: string; runId: string }, now: string): BuildState {
  const checkpoints = selectedCheckpoints(request.plan, request.only).map((cp) => ({
    id: cp.id,
    title: cp.title,
    status: (request.completed.includes(cp.id) && !request.only ? 'completed' : 'pending') as CheckpointStatus,
    commit: null,
    verifyAttempts: 0,
    taskGroups: cp.task_groups
      .filter((g) => !request.only?.taskGroup || g.id === request.only.taskGroup)
      .map((g) => ({ id: g.id, title: g.title, status: 'pending' as StepStatus, attempts: 0 })),
  }));
  return {
    label: request.label,
    workflowId: ids.workflowId,
    runId: ids.runId,
    request,
    status: 'running',
    waiting: null,
    pauseRequested: null,
    pendingDecision: null,
    retryNow: false,
    retryWaiting: false,
    checkpoints,
    position: { checkpoint: null, taskGroup: null },
    sessions: 0,
    attempts: [],
    lastError: null,
    lastOutput: null,
    devNotes: [],
    feedback: [],
    workspace: null,
    spentUsd: 0,
    budgetGrantedUsd: 0,
    agentSessions: {},
    recentFailures: [],
    startedAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}

export function isFinished(state: BuildState): boolean {
  return TERMINAL.includes(state.status);
}

export function addDevNote(
  state: BuildState,
  category: DevNoteCategory,
  content: string,
  scope: DevNote['scope'],
  at: string,
): void {
  state.devNotes.push({ scope, category, content, at });
}

// ---- validators: a reason the message cannot be honoured now, or undefined ----

export function validatePause(state: BuildState): string | undefined {
  if (isFinished(state)) return `build ${state.label} is ${state.status}; there is nothing to pause`;
  if (state.status === 'paused') return `build ${state.label} is already paused`;
  return undefined;
}

export function validateResume(state: BuildState): string | undefined {
  if (atCheckpointReview(state)) return undefined;
  if (!state.pauseRequested) return `build ${state.label} is not paused (it is ${state.status})`;
  return undefined;
}

export function validateOverride(state: BuildState, o: Override | undefined): string | undefined {
  if (!o?.note?.trim()) return 'override needs a note saying why the step is accepted';
  if (state.status !== 'awaiting-human') {
    return `build ${state.label} is not waiting for a decision (it is ${state.status}); override applies to a failed verification or an escalated step`;
  }
  return undefined;
}

export function validateRetry(state: BuildState): string | undefined {
  if (state.status === 'awaiting-human' || state.retryWaiting) return undefined;
  return `build ${state.label} has no failed step waiting to be retried (it is ${state.status})`;
}

export function validateSkip(state: BuildState, s: Skip | undefined): string | undefined {
  if (!s?.note?.trim()) return 'skip needs a note saying why the step is skipped';
  if (isFinished(state)) return `build ${state.label} is ${state.status}; there is nothing to skip`;
  if (!state.position.checkpoint && state.waiting?.reason !== 'setup-failed') return `build ${state.label} has not started a checkpoint yet`;
  if (state.status === 'verifying' || state.status === 'committing') {
    return `build ${state.label} is ${state.status} checkpoint ${state.position.checkpoint}; skip applies to a running session, a paused build or a step awaiting a decision`;
  }
  return undefined;
}

export function validateFeedback(state: BuildState, f: Feedback | undefined): string | undefined {
  if (!f?.message?.trim()) return 'feedback needs a message';
  if (isFinished(state)) return `build ${state.label} is ${state.status}; no further session will read feedback`;
  return undefined;
}

// ---- transitions (called by handlers after validation; signals are ignored when invalid) ----

export function applyPause(state: BuildState, p: Pause | undefined): void {
  state.pauseRequested = { now: p?.now ?? false, ...(p?.reason ? { reason: p.reason } : {}) };
}

/** Waiting at `--gate checkpoint` after a commit. */
export function atCheckpointReview(state: BuildState): boolean {
  return state.status === 'awaiting-human' && state.waiting?.reason === 'checkpoint-review';
}

export function applyResume(state: BuildState): void {
  // At the checkpoint gate `resume` is the decision to go on (gate.ts takes it like a retry).
  if (atCheckpointReview(state) && state.pendingDecision === null) state.pendingDecision = { kind: 'retry' };
  state.pauseRequested = null;
}

export function applyOverride(state: BuildState, o: Override): void {
  state.pendingDecision = { kind: 'override', note: o.note };
}

export function applyRetry(state: BuildState): void {
  if (state.status === 'awaiting-human') state.pendingDecision = { kind: 'retry' };
  else state.retryNow = true;
}

export function applySkip(state: BuildState, s: Skip): void {
  state.pendingDecision = { kind: 'skip', note: s.note };
}

export function applyFeedback(state: BuildState, f: Feedback): void {
  state.feedback.push(f.message);
}

/** Takes the feedback for the next session; it is given once. */
export function takeFeedback(state: BuildState): string[] {
  const taken = state.feedback;
  state.feedback = [];
  return taken;
}

export function buildBudget(state: BuildState): number | null {
  const budget = state.request.policy.buildBudgetUsd;
  return budget === undefined ? null : budget + state.budgetGrantedUsd;
}

export function remainingBudget(state: BuildState): number | null {
  const budget = buildBudget(state);
  return budget === null ? null : round(Math.max(0, budget - state.spentUsd));
}

function round(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}

export function percentComplete(state: BuildState): number {
  const total = state.checkpoints.length;
  if (total === 0) return 100;
  const done = state.checkpoints.filter((c) => c.status === 'completed' || c.status === 'skipped').length;
  return Math.round((done / total) * 100);
}

export function toStatus(state: BuildState): BuildStatusView {
  return {
    label: state.label,
    workflowId: state.workflowId,
    runId: state.runId,
    status: state.status,
    reason: state.waiting?.reason ?? null,
    waiting: state.waiting,
    pauseRequested: state.pauseRequested !== null,
    position: state.position,
    percentComplete: percentComplete(state),
    checkpoints: state.checkpoints.map((c) => ({
      id: c.id,
      title: c.title,
      status: c.status,
      commit: c.commit,
      push: c.push ?? null,
      taskGroups: c.taskGroups,
    })),
    devNotes: state.devNotes.map((n) => ({ category: n.category, content: n.content, scope: n.scope, at: n.at })),
    attempts: state.attempts,
    sessions: state.sessions,
    lastError: state.lastError,
    lastOutput: state.lastOutput,
    branch: state.workspace?.branch ?? null,
    worktree: state.workspace?.path ?? null,
    host: state.workspace?.host ?? null,
    repo: state.request.repo,
    planTitle: state.request.plan.title,
    policy: state.request.policy,
    agent: state.request.agent.kind,
    spentUsd: round(state.spentUsd),
    tokens: addUsage(state.tokens, null),
    remainingUsd: remainingBudget(state),
    startedAt: state.startedAt,
    updatedAt: state.updatedAt,
    finishedAt: state.finishedAt,
    reports: state.reports ?? [],
    delivery: state.delivery ?? null,
  };
}
