/**
 * Queue state: one plain-JSON object, carried across continue-as-new, with every change made by a
 * small pure function here (the workflow's handlers only call these; unit tests call them directly).
 * The `queue` query, BUILD_STATUS.md and BUILD_QUEUE.md are all rendered from `toQueueView`.
 */
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { z } from 'zod';
import { AdmissionPolicySchema, type WaitReason, decideAdmission, queueOrder } from '../../model/admission';
import { durationMs } from '../../model/duration';
import { type LoopRequest, LoopRequestSchema, loopWorkflowId } from '../../model/loopRequest';
import { type Priority, type QueueEntry, QueueEntrySchema, loopTaskText } from '../../model/queueEntry';
import { type BuildRequest, BuildRequestSchema } from '../../model/request';
import { requirementProblems } from '../../model/safety';
import { describeIssues } from '../../model/zodIssues';
import { chainBase, chainBlock, chainProblem } from './chain';
import type { EnqueueAnswer, EnqueueRequest } from './messages';

/** Admission (seed 002: concurrency, off-hours window) plus the seed's retries: 3, 5 minutes apart. */
export const QueuePolicySchema = AdmissionPolicySchema.extend({
  maxRetries: z.number().int().min(0).max(20).default(3),
  retryInterval: durationMs.default(5 * 60_000),
});
export type QueuePolicy = z.infer<typeof QueuePolicySchema>;
export type QueuePolicyInput = z.input<typeof QueuePolicySchema>;

/** How many finished builds the queue remembers (older ones stay in Temporal's visibility). */
export const RECENT_LIMIT = 20;

export type QueueRun = { kind: 'plan'; request: BuildRequest } | { kind: 'loop'; request: LoopRequest };
export type EntryFields = Omit<QueueEntry, 'plan'>;

export interface QueueItem {
  entry: EntryFields;
  run: QueueRun;
  /** Runs that failed so far (the first run is attempt 0 + 1). */
  attempts: number;
  /** A retry waits until then. */
  notBefore: string | null;
  /** Set when retries are exhausted: the entry waits for `approve` (or `remove`). */
  hold: string | null;
  lastError: string | null;
}

export interface ActiveBuild extends QueueItem {
  workflowId: string;
  /** The child's first run id; the build may continue-as-new itself, its chain ends once. */
  runId: string | null;
  startedAt: string;
  /** `fail LABEL` was asked: the child is cancelled, then the entry is retried. */
  failRequested: string | null;
  cancelSent: boolean;
}

export interface Completion {
  label: string;
  name: string;
  priority: Priority;
  kind: QueueRun['kind'];
  workflowId: string;
  runId: string | null;
  /** completed, failed, cancelled, terminated, timed-out, or a loop's own end (max-sessions-reached...). */
  outcome: string;
  startedAt: string;
  finishedAt: string;
  attempts: number;
  error: string | null;
}

export interface QueueState {
  name: string;
  policy: QueuePolicy;
  waiting: QueueItem[];
  active: ActiveBuild[];
  recent: Completion[];
}

/** How a child ended, from its result handle or from the watcher activity (same shape). */
export type ChildOutcome =
  | { kind: 'completed'; status: string }
  | { kind: 'failed' | 'cancelled' | 'terminated' | 'timed-out'; error: string };

/** What a finished child returned, as the queue's outcome (a loop's own end status is kept). */
export function outcomeOfResult(result: unknown): ChildOutcome {
  const status = (result as { status?: unknown } | null)?.status;
  return { kind: 'completed', status: typeof status === 'string' ? status : 'completed' };
}

/** How a child that did not complete ended, from the failure's cause. */
export function outcomeOfFailure(cause: unknown, fallback: string): ChildOutcome {
  if (cause instanceof CancelledFailure) return { kind: 'cancelled', error: 'cancelled' };
  if (cause instanceof TerminatedFailure) return { kind: 'terminated', error: cause.message || 'terminated' };
  if (cause instanceof TimeoutFailure) return { kind: 'timed-out', error: 'timed out' };
  return { kind: 'failed', error: (cause as Error | undefined)?.message || fallback };
}

export type EndEffect =
  | { effect: 'finished'; completion: Completion }
  | { effect: 'retry'; attempts: number; notBefore: string; error: string }
  | { effect: 'escalate'; attempts: number; message: string };

export function initialQueueState(name: string, policy: QueuePolicyInput = {}): QueueState {
  return { name, policy: QueuePolicySchema.parse(policy), waiting: [], active: [], recent: [] };
}

export function childWorkflowId(kind: QueueRun['kind'], label: string): string {
  // `build-<label>` is also the client's buildWorkflowId; the client module cannot be imported here.
  return kind === 'plan' ? `build-${label}` : loopWorkflowId(label);
}

function where(state: QueueState, label: string): 'waiting' | 'active' | null {
  if (state.active.some((a) => a.entry.label === label)) return 'active';
  if (state.waiting.some((w) => w.entry.label === label)) return 'waiting';
  return null;
}

function runFor(entry: QueueEntry, req: EnqueueRequest): { run?: QueueRun; problems: string[] } {
  const common = { repo: entry.repo, agent: req.agent ?? { kind: 'scripted' }, ...(req.policy ? { policy: req.policy } : {}) };
  if (entry.kind === 'plan') {
    const parsed = BuildRequestSchema.safeParse({
      ...common,
      label: entry.label,
      plan: entry.plan,
      priority: entry.priority,
      ...(req.baseRef ? { baseRef: req.baseRef } : {}),
      ...(entry.after ? { baseRef: chainBase(entry.after) } : {}),
      ...(req.setup ? { setup: req.setup } : {}),
      ...(req.deliver ? { deliver: req.deliver } : {}),
      ...(req.remote ? { remote: req.remote } : {}),
      ...(req.push === false ? { push: false } : {}),
      ...(req.gate ? { gate: req.gate } : {}),
    });
    return parsed.success ? { run: { kind: 'plan', request: parsed.data }, problems: [] } : { problems: describeIssues(parsed.error) };
  }
  const task = [loopTaskText(entry), entry.tech ? `Tech stack: ${entry.tech}` : ''].filter(Boolean).join('\n\n');
  const parsed = LoopRequestSchema.safeParse({
    ...common,
    taskName: entry.label,
    task,
    criteria: entry.criteria,
    ...(req.maxSessions ? { maxSessions: req.maxSessions } : {}),
  });
  return parsed.success ? { run: { kind: 'loop', request: parsed.data }, problems: [] } : { problems: describeIssues(parsed.error) };
}

/**
 * Validates an `enqueue`: the entry's fields, seed 002's requirement checks (vague descriptions and
 * criteria are refused: "better to ask than build the wrong thing"), duplicates, and the plan or
 * loop it runs. Returns every reason at once, so the person fixes them in one go.
 */
export function prepareEnqueue(state: QueueState, req: EnqueueRequest | undefined): { item: QueueItem } | { problems: string[] } {
  const parsed = QueueEntrySchema.safeParse(req?.entry);
  if (!req || !parsed.success) return { problems: parsed.success ? ['an enqueue request needs an entry'] : describeIssues(parsed.error) };
  const entry = parsed.data;
  const problems = requirementProblems(entry);
  const found = where(state, entry.label);
  if (found) {
    problems.push(
      found === 'active'
        ? `"${entry.label}" is already building: wait for it to finish, or give the new entry another --label.`
        : `"${entry.label}" is already in the queue: remove it first (nightshift remove ${entry.label}) or give the new entry another --label.`,
    );
  }
  const chained = chainProblem(state, entry, req.baseRef);
  if (chained) problems.push(chained);
  const { run, problems: runProblems } = runFor(entry, req);
  problems.push(...runProblems);
  if (problems.length > 0 || !run) return { problems };
  const { plan: _plan, ...fields } = entry;
  return { item: { entry: fields, run, attempts: 0, notBefore: null, hold: null, lastError: null } };
}

export function enqueue(state: QueueState, item: QueueItem): void {
  state.waiting.push(item);
}

export interface Admission {
  start: string[];
  reasons: Map<string, ViewReason[]>;
  /** The next instant something may change without a message: a window opening or a retry due. */
  wakeAt: string | null;
}

function isDue(item: QueueItem, now: Date): boolean {
  return item.notBefore === null || Date.parse(item.notBefore) <= now.getTime();
}

/** Seed 002's auto-spawn decision over the entries that are not held and not waiting out a retry. */
export function admission(state: QueueState, now: Date): Admission {
  const chained = new Map(state.waiting.flatMap((i) => (i.entry.after ? [[i.entry.label, chainBlock(state, i.entry.after)] as const] : [])));
  const candidates = state.waiting.filter((i) => i.hold === null && isDue(i, now) && !chained.get(i.entry.label)).map((i) => i.entry);
  const decision = decideAdmission({ queued: candidates, active: state.active.length, policy: state.policy, now });
  const wakes = state.waiting
    .filter((i) => i.hold === null && !isDue(i, now))
    .map((i) => i.notBefore as string)
    .concat(decision.wakeAt ? [decision.wakeAt] : []);
  const wakeAt = wakes.length ? wakes.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b)) : null;
  const reasons = new Map<string, ViewReason[]>(decision.waiting.map((w) => [w.label, w.reasons]));
  for (const [label, block] of chained) if (block) reasons.set(label, [block]);
  return { start: decision.start, reasons, wakeAt };
}

/**
 * Moves an admitted entry to the active builds as its child is being started, so that a `remove`
 * arriving meanwhile cannot orphan the child; the run id is filled in once the child has started.
 */
export function markStarted(state: QueueState, label: string, workflowId: string, now: string): void {
  const i = state.waiting.findIndex((w) => w.entry.label === label);
  if (i < 0) return;
  const [item] = state.waiting.splice(i, 1) as [QueueItem];
  state.active.push({ ...item, notBefore: null, workflowId, runId: null, startedAt: now, failRequested: null, cancelSent: false });
}

export function setRunId(state: QueueState, label: string, runId: string): void {
  const active = state.active.find((a) => a.entry.label === label);
  if (active) active.runId = runId;
}

/** The child could not be started (its id is taken by a workflow started outside the queue): hold it. */
export function startRefused(state: QueueState, label: string, message: string): void {
  const i = state.active.findIndex((a) => a.entry.label === label);
  if (i < 0) return;
  const [a] = state.active.splice(i, 1) as [ActiveBuild];
  state.waiting.push({ entry: a.entry, run: a.run, attempts: a.attempts, notBefore: null, hold: message, lastError: message });
}

function remember(state: QueueState, c: Completion): void {
  state.recent.unshift(c);
  state.recent.splice(RECENT_LIMIT);
}

/**
 * A child ended. A completed child (or one a person cancelled) is a completion. A failed one, or one
 * cancelled by `fail`, goes back in the queue for a retry after the policy's interval; once
 * `maxRetries` retries have failed, it is held for the person (seed 002: "After 3 failed retries ->
 * escalates"). Null when the label is not active (a duplicate report after continue-as-new).
 */
export function buildEnded(state: QueueState, label: string, outcome: ChildOutcome, now: string): EndEffect | null {
  const i = state.active.findIndex((a) => a.entry.label === label);
  if (i < 0) return null;
  const [a] = state.active.splice(i, 1) as [ActiveBuild];
  const failed = outcome.kind === 'failed' || outcome.kind === 'timed-out' || (a.failRequested !== null && outcome.kind !== 'completed');
  const error = outcome.kind === 'completed' ? null : a.failRequested ? `marked failed: ${a.failRequested}` : outcome.error;
  const completion: Completion = {
    label,
    name: a.entry.name,
    priority: a.entry.priority,
    kind: a.run.kind,
    workflowId: a.workflowId,
    runId: a.runId,
    outcome: failed ? 'failed' : outcome.kind === 'completed' ? outcome.status : outcome.kind,
    startedAt: a.startedAt,
    finishedAt: now,
    attempts: a.attempts + (failed ? 1 : 0),
    error,
  };
  remember(state, completion);
  if (!failed) return { effect: 'finished', completion };

  const attempts = a.attempts + 1;
  const item: QueueItem = { entry: a.entry, run: a.run, attempts, notBefore: null, hold: null, lastError: error };
  state.waiting.push(item);
  if (attempts <= state.policy.maxRetries) {
    item.notBefore = new Date(Date.parse(now) + state.policy.retryInterval).toISOString();
    return { effect: 'retry', attempts, notBefore: item.notBefore, error: error ?? '' };
  }
  item.hold =
    `"${a.entry.name}" failed ${attempts} times (last: ${(error ?? 'unknown error').slice(0, 300)}); ` +
    `it needs attention: approve it to try again, or remove it.`;
  return { effect: 'escalate', attempts, message: item.hold };
}

// ---- the person's verbs: a validator (a reason, or undefined) and a transition each ----

function unknownLabel(state: QueueState, label: string | undefined): string {
  return `queue "${state.name}" has no entry "${label ?? ''}": see \`nightshift status --queue\` for labels`;
}

export function validateApprove(state: QueueState, label: string | undefined): string | undefined {
  if (!label || where(state, label) === null) return unknownLabel(state, label);
  if (where(state, label) === 'active') return `"${label}" is already building; there is nothing to approve`;
  return undefined;
}

/** The person's go-ahead: low priority and risky entries may start, a held or retrying entry goes now. */
export function approve(state: QueueState, label: string): void {
  const item = state.waiting.find((w) => w.entry.label === label);
  if (!item) return;
  item.entry.approved = true;
  if (item.hold !== null) item.attempts = 0;
  item.hold = null;
  item.notBefore = null;
}

export function validateRemove(state: QueueState, label: string | undefined): string | undefined {
  if (!label || where(state, label) === null) return unknownLabel(state, label);
  if (where(state, label) === 'active') return `"${label}" is building: cancel it with \`nightshift cancel ${label}\`, or \`nightshift fail ${label}\` to retry it`;
  return undefined;
}

export function remove(state: QueueState, label: string): void {
  state.waiting = state.waiting.filter((w) => w.entry.label !== label);
}

export function validateFail(state: QueueState, label: string | undefined): string | undefined {
  const active = state.active.find((a) => a.entry.label === label);
  if (!active) {
    return label && where(state, label) === 'waiting'
      ? `"${label}" is not building (it waits in the queue); only an active build can be marked failed`
      : unknownLabel(state, label);
  }
  if (active.failRequested !== null) return `"${label}" is already being failed: ${active.failRequested}`;
  return undefined;
}

export function markFailed(state: QueueState, label: string, reason: string | undefined): void {
  const active = state.active.find((a) => a.entry.label === label);
  if (active) active.failRequested = reason?.trim() || 'marked failed by a person';
}

function parsePolicy(state: QueueState, patch: QueuePolicyInput | undefined) {
  const merged = { ...state.policy, ...Object.fromEntries(Object.entries(patch ?? {}).filter(([, v]) => v !== undefined)) };
  return QueuePolicySchema.safeParse(merged);
}

export function validateSetPolicy(state: QueueState, patch: QueuePolicyInput | undefined): string | undefined {
  const parsed = parsePolicy(state, patch);
  return parsed.success ? undefined : `invalid queue policy: ${describeIssues(parsed.error).join('; ')}`;
}

export function setPolicy(state: QueueState, patch: QueuePolicyInput): void {
  const parsed = parsePolicy(state, patch);
  if (parsed.success) state.policy = parsed.data;
}

// ---- the view: the `queue` query, BUILD_STATUS.md, BUILD_QUEUE.md and `status --queue` ----

export type WaitingStatus = 'waiting' | 'starting' | 'retry-wait' | 'needs-attention';
export interface ViewReason {
  code: WaitReason['code'] | 'retry' | 'needs-attention' | 'after';
  message: string;
}
export interface WaitingView extends EntryFields {
  kind: QueueRun['kind'];
  /** 1-based, in queue order (priority, then age). */
  position: number;
  status: WaitingStatus;
  reasons: ViewReason[];
  attempts: number;
  notBefore: string | null;
  lastError: string | null;
}
export interface ActiveView extends EntryFields {
  kind: QueueRun['kind'];
  workflowId: string;
  runId: string | null;
  startedAt: string;
  attempts: number;
  failRequested: string | null;
}
export interface QueueView {
  name: string;
  /** The workflow's clock when the view was made; readers compute ages against their own clock. */
  asOf: string;
  policy: QueuePolicy;
  active: ActiveView[];
  waiting: WaitingView[];
  recent: Completion[];
  wakeAt: string | null;
}

export function toQueueView(state: QueueState, now: Date): QueueView {
  const decision = admission(state, now);
  const byLabel = new Map(state.waiting.map((w) => [w.entry.label, w]));
  const waiting = queueOrder(state.waiting.map((w) => w.entry)).map((entry, i): WaitingView => {
    const item = byLabel.get(entry.label) as QueueItem;
    let status: WaitingStatus = 'waiting';
    let reasons: ViewReason[] = decision.reasons.get(entry.label) ?? [];
    if (item.hold !== null) {
      status = 'needs-attention';
      reasons = [{ code: 'needs-attention', message: item.hold }];
    } else if (!isDue(item, now)) {
      status = 'retry-wait';
      reasons = [{ code: 'retry', message: `attempt ${item.attempts} failed (${(item.lastError ?? '').slice(0, 200)}); retrying at ${item.notBefore}` }];
    } else if (decision.start.includes(entry.label)) status = 'starting';
    return {
      ...entry,
      kind: item.run.kind,
      position: i + 1,
      status,
      reasons,
      attempts: item.attempts,
      notBefore: item.notBefore,
      lastError: item.lastError,
    };
  });
  const active = state.active.map(
    (a): ActiveView => ({
      ...a.entry,
      kind: a.run.kind,
      workflowId: a.workflowId,
      runId: a.runId,
      startedAt: a.startedAt,
      attempts: a.attempts,
      failRequested: a.failRequested,
    }),
  );
  return { name: state.name, asOf: now.toISOString(), policy: state.policy, active, waiting, recent: state.recent, wakeAt: decision.wakeAt };
}

/** What `enqueue` answers once the queue has acted on the new entry. */
export function answerFor(state: QueueState, label: string, now: Date): EnqueueAnswer {
  const active = state.active.find((a) => a.entry.label === label);
  if (active) return { label, position: 0, building: true, workflowId: active.workflowId, reasons: [] };
  const waiting = toQueueView(state, now).waiting.find((w) => w.label === label);
  return { label, position: waiting?.position ?? 0, building: false, workflowId: null, reasons: waiting?.reasons.map((r) => r.message) ?? [] };
}
