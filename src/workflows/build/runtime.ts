import {
  type CancellationScope,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  ApplicationFailure,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { createActivities } from '../../activities';
import type { SessionResult } from '../../activities/types';
import { rateLimitWait } from '../shared/rateLimit';
import { buildFiles } from './fileSink';
import { keep, withReport } from './gate';
import { renderCheckpointPaused } from '../../model/seedReports';
import { actCommand } from '../../model/digest';
import { clock, named, retryWaitMarker, timer, usageLimitMarker, wait } from '../shared/markers';
import { NightshiftCostUsd, NightshiftHost, NightshiftStatus, NightshiftWaitReason } from '../shared/searchAttributes';
import {
  addDevNote,
  buildBudget,
  type BuildState,
  type BuildStatus,
  type Decision,
  toStatus,
  type WaitReason,
} from './state';
import { dispatched } from '../shared/dispatch';

export type Activities = ReturnType<typeof createActivities>;

export interface BuildResult {
  label: string;
  status: BuildStatus;
  commits: { checkpoint: string; commit: string | null }[];
  devNotes: number;
}

/**
 * Files people read and notifications: quick local writes on the worker, so they run as local
 * activities (no round trip through the server for each state change).
 */
const quick = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
});

/**
 * What every part of a build shares: its state, status and the files people read, notifications,
 * and the waits (pause gate, escalation, retry interval, rate-limit parking, budget gate).
 */
export abstract class BuildRuntime {
  /** Running sessions by step, so `pause {now}`, `skip` and the stall timer can cancel them. */
  protected readonly running = new Map<string, CancellationScope>();
  /** Last progress seen per session number; the stall timer watches it. */
  protected readonly progressAt = new Map<number, number>();
  protected progressSeq = 0;
  /**
   * Lean history (patch `nightshift-lean-history`, docs/architecture.md "History of a checkpoint"):
   * search attributes are upserted once per step instead of once per change, files are written
   * once per step, no webhook activity without a webhook, verification and commit in one activity.
   * Off for builds whose history began before it, so they replay as they ran.
   */
  lean = false;
  /**
   * Files by sink (patch `nightshift-files-by-sink`, on lean builds): `record` hands the state to the
   * worker's file sink instead of a local activity, so a step's start costs no extra round trip.
   */
  filesBySink = false;
  /** Search attribute changes not yet upserted (lean history): they go out with the next record or step. */
  private pendingAttributes: Record<string, SearchAttributeUpdatePair> = {};
  /** Whether this worker has a webhook, as the last notify activity said (lean history). */
  private webhook = true;

  constructor(protected readonly state: BuildState) {}

  /** `rate-limited`: a durable timer until the limit resets (at least 5 s); `retry` ends it early. */
  protected async park(resetAt: string | null, step: string): Promise<void> {
    const s = this.state;
    const { waitMs, wakeAt } = rateLimitWait(resetAt, s.request.policy.retryInterval, Date.now());
    const before = s.status;
    s.waiting = { reason: 'rate-limited', step, message: `waiting for the ${s.request.agent.kind} limit to reset at ${clock(wakeAt)}: the agent's usage limit resets at ${wakeAt}; resuming then`, since: now() };
    this.setStatus('rate-limited');
    await this.record();
    await this.notify('paused', `build ${s.label} is rate-limited at ${step}; resuming at ${wakeAt}`);
    s.retryNow = false;
    s.retryWaiting = true;
    await condition(() => s.retryNow, waitMs, timer(usageLimitMarker(wakeAt, step)));
    s.retryWaiting = false;
    s.retryNow = false;
    s.waiting = null;
    this.setStatus(before === 'rate-limited' ? 'running' : before);
  }

  /** No new session once the build budget is spent: the person decides (retry grants as much again). */
  protected async budgetGate(step: string): Promise<Decision | null> {
    const s = this.state;
    const budget = buildBudget(s);
    if (budget === null || s.spentUsd < budget) return null;
    const decision = await this.awaitHuman('budget-exceeded', step, `the build has spent $${s.spentUsd.toFixed(2)} of its $${budget.toFixed(2)} budget`);
    if (decision.kind === 'retry') this.grantBudget();
    return decision;
  }

  protected grantBudget(): void {
    this.state.budgetGrantedUsd += this.state.request.policy.buildBudgetUsd ?? 0;
  }

  protected recordAgentNotes(result: SessionResult, ref: string): void {
    for (const note of result.devNotes) addDevNote(this.state, note.category, note.content, { type: 'task', ref }, now());
  }

  protected recordAttempt(step: string, outcome: BuildState['attempts'][number]['outcome'], error: string): void {
    const s = this.state;
    const trimmed = error.length > 2000 ? `…${error.slice(-2000)}` : error;
    s.lastError = trimmed;
    s.attempts.push({ step, session: outcome === 'verification-failed' ? null : s.sessions, outcome, error: trimmed, at: now() });
    if (s.attempts.length > 50) s.attempts.splice(0, s.attempts.length - 50);
  }

  /** The policy's wait between attempts; `retry` cuts it short, `pause` outlasts it. */
  protected async backoff(attempt?: { next: number; step: string }): Promise<void> {
    const interval = this.state.request.policy.retryInterval;
    const marker = attempt ? retryWaitMarker(interval, attempt.next, this.state.request.policy.maxAttempts, attempt.step) : `retry wait ${wait(interval)}`;
    this.state.retryNow = false;
    this.state.retryWaiting = true;
    this.touch();
    await this.record();
    await condition(() => this.state.retryNow || this.state.pendingDecision?.kind === 'skip', interval, timer(marker));
    this.state.retryWaiting = false;
    this.state.retryNow = false;
  }

  /** Escalation: tell the person, then wait as long as it takes for retry, override, skip or cancel. */
  protected async awaitHuman(reason: WaitReason, step: string, message: string, report?: string): Promise<Decision> {
    const s = this.state;
    s.pendingDecision = null;
    // Seed 001's report for the person: the caller's (verification failed) or "Build Paused" at this position.
    const text = report ?? keep(s, 'checkpoint_paused', s.position.checkpoint, renderCheckpointPaused(s, `Waiting for a decision (${reason}) at ${step}: ${message}\n\nDecide with \`nightshift retry|override|skip ${s.label}\`.`));
    await this.notify('escalated', withReport(`build ${s.label} needs a decision (${reason}) at ${step}: ${message}\nto act: ${actCommand(s.label, reason)}`, text));
    s.waiting = { reason, step, message, since: now() };
    this.setStatus('awaiting-human');
    await this.record();
    await condition(() => s.pendingDecision !== null);
    const decision = takeDecision(s);
    s.pendingDecision = null;
    // A person has looked at it: earlier identical failures no longer mean the agent is going in circles.
    s.recentFailures = [];
    s.waiting = null;
    this.setStatus('running');
    await this.record();
    return decision;
  }

  protected async pauseGate(): Promise<void> {
    const s = this.state;
    if (!s.pauseRequested) return;
    const before = s.status;
    const reason = s.pauseRequested.reason;
    this.setStatus('paused');
    const report = keep(s, 'checkpoint_paused', s.position.checkpoint, renderCheckpointPaused(s, `Paused by request${reason ? `: ${reason}` : ''} (nightshift pause).`));
    await this.record();
    await this.notify('paused', withReport(`build ${s.label} paused${reason ? `: ${reason}` : ''}`, report));
    await condition(() => s.pauseRequested === null);
    this.setStatus(before === 'paused' ? 'running' : before);
    await this.record();
  }

  /** The build's end state; with lean history its files are written with the last notification. */
  async finish(status: BuildStatus): Promise<void> {
    this.state.finishedAt = now();
    this.setStatus(status);
    if (this.lean) return this.flushAttributes();
    await this.record();
  }

  setStatus(status: BuildStatus): void {
    const s = this.state;
    if (s.status !== status) {
      s.status = status;
      this.setAttributes([
        { key: NightshiftStatus, value: status },
        { key: NightshiftWaitReason, value: s.waiting?.reason ?? null },
        { key: NightshiftCostUsd, value: s.spentUsd },
        { key: NightshiftHost, value: s.workspace?.host ?? null },
      ]);
    }
    this.touch();
    setCurrentDetails(this.details());
  }

  /** Search attributes: upserted now, or with lean history kept until the next record or step (`flushAttributes`). */
  setAttributes(pairs: SearchAttributeUpdatePair[]): void {
    if (!this.lean) return upsertSearchAttributes(pairs);
    for (const pair of pairs) this.pendingAttributes[pair.key.name] = pair;
  }

  /** One upsert for every change since the last; called before anything the build waits on. */
  flushAttributes(): void {
    const pairs = Object.values(this.pendingAttributes);
    if (pairs.length === 0) return;
    this.pendingAttributes = {};
    upsertSearchAttributes(pairs);
  }

  protected touch(): void {
    this.state.updatedAt = now();
  }

  protected details(extra?: string): string {
    const s = this.state;
    const done = s.checkpoints.filter((c) => c.status === 'completed').length;
    const lines = [
      `**${s.status}**${s.waiting ? ` (${s.waiting.reason})` : ''} · ${done}/${s.checkpoints.length} checkpoints`,
      s.position.checkpoint ? `checkpoint ${s.position.checkpoint}${s.position.taskGroup ? `, task group ${s.position.taskGroup}` : ''}` : '',
      extra ?? '',
      s.waiting ? `waiting for: nightshift ${s.waiting.reason === 'checkpoint-review' ? 'resume' : 'retry|override|skip'} ${s.label}` : '',
      s.lastError ? `last error: ${s.lastError.slice(0, 300)}` : '',
    ];
    return lines.filter(Boolean).join('\n\n');
  }

  async record(): Promise<void> {
    this.flushAttributes();
    const s = this.state;
    if (this.filesBySink) return buildFiles.record({ view: toStatus(s) });
    const at = s.position.checkpoint ? ` · checkpoint ${s.position.checkpoint}${s.position.taskGroup ? `, task group ${s.position.taskGroup}` : ''}` : '';
    await named(quick.recordProgress, `record progress: ${s.status}${s.waiting ? ` (${s.waiting.reason})` : ''}${at}`, { view: toStatus(s) });
  }

  /**
   * The files and a notification in one local activity (lean history; before it, `record` then
   * `notify`), then the webhook when the worker has one.
   */
  async recordAndNotify(event: NotifyEvent, message: string): Promise<void> {
    if (!this.lean) {
      await this.record();
      return this.notify(event, message);
    }
    this.flushAttributes();
    const s = this.state;
    const input = { label: s.label, event, message };
    const answer = await named(quick.recordProgress, `record progress: ${s.status} · notify: ${event}`, { view: toStatus(s), notify: input });
    this.webhook = answer.webhook;
    await this.postWebhook(input);
  }

  async notify(event: NotifyEvent, message: string): Promise<void> {
    const input = { label: this.state.label, event, message };
    const answer = await named(quick.notify, `notify: ${event}`, input);
    // Old workers answered nothing: then the webhook activity runs as it always did.
    if (this.lean) this.webhook = answer?.webhook ?? true;
    await this.postWebhook(input);
  }

  private async postWebhook(input: { label: string; event: NotifyEvent; message: string }): Promise<void> {
    const event = input.event;
    if (this.lean && !this.webhook) return;
    // The webhook (NIGHTSHIFT_WEBHOOK_URL on the worker) is best effort: a few quick attempts, then
    // given up; its failure is only logged. The build does not wait for it, except briefly when it
    // ends, since a post still pending when the workflow closes would be dropped.
    const webhook = proxyActivities<Activities>(dispatched({
      startToCloseTimeout: '15 seconds',
      retry: { maximumAttempts: 5, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '4s' },
    }));
    let settled = false;
    void named(webhook.notifyWebhook, `webhook: ${event}`, input)
      .catch((err: unknown) => log.warn(`webhook for ${event} gave up`, { error: String(err) }))
      .finally(() => {
        settled = true;
      });
    if (event === 'completed' || event === 'failed' || event === 'cancelled') await condition(() => settled, '3 seconds', timer(`let the ${event} webhook finish (3s)`));
  }

  protected worktree(): string {
    const ws = this.state.workspace;
    if (!ws) throw ApplicationFailure.nonRetryable('the build has no workspace', 'NoWorkspace');
    return ws.path;
  }

  result(): BuildResult {
    const s = this.state;
    return {
      label: s.label,
      status: s.status,
      commits: s.checkpoints.map((c) => ({ checkpoint: c.id, commit: c.commit })),
      devNotes: s.devNotes.length,
    };
  }
}

function takeDecision(s: BuildState): Decision {
  const d = s.pendingDecision;
  if (!d) throw ApplicationFailure.nonRetryable('no decision to take', 'InternalError');
  return d;
}

type NotifyEvent = Parameters<Activities['notify']>[0]['event'];

export function now(): string {
  return new Date().toISOString();
}
