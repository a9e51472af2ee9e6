import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  TemporalFailure,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { createActivities } from '../activities';
import type { SessionResult } from '../activities/types';
import { isStuck } from '../agents/classify';
import { buildPrompt } from '../model/prompt';
import { type Checkpoint, type TaskGroup, verificationSteps } from '../model/plan';
import { type BuildRequest, RESUMABLE_AGENTS } from '../model/request';
import {
  type Pause,
  feedbackSignal,
  feedbackUpdate,
  overrideSignal,
  overrideUpdate,
  pauseSignal,
  pauseUpdate,
  progressSignal,
  resumeSignal,
  resumeUpdate,
  retrySignal,
  retryUpdate,
  skipSignal,
  skipUpdate,
  statusQuery,
} from './messages';
import { NightshiftCheckpoint, NightshiftLabel, NightshiftStatus } from './searchAttributes';
import {
  addDevNote,
  buildBudget,
  applyFeedback,
  applyOverride,
  applyPause,
  applyResume,
  applyRetry,
  applySkip,
  type BuildState,
  type BuildStatus,
  type BuildStatusView,
  type CheckpointProgress,
  type Decision,
  initialState,
  takeFeedback,
  type TaskGroupProgress,
  toStatus,
  validateFeedback,
  validateOverride,
  validatePause,
  validateResume,
  validateRetry,
  validateSkip,
  type WaitReason,
} from './state';

type Activities = ReturnType<typeof createActivities>;

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

const git = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['InvalidRepo'] },
});

/**
 * One build: for each checkpoint, its task groups through agent sessions, then verification, then
 * exactly one commit. A step that keeps failing is retried after the policy's interval and then put
 * in front of the person, who can retry, override or skip it; `pause` and `resume` work at any time.
 */
export async function buildWorkflow(request: BuildRequest, carried?: BuildState): Promise<BuildResult> {
  const info = workflowInfo();
  const state = carried ?? initialState(request, { workflowId: info.workflowId, runId: info.firstExecutionRunId }, now());
  const build = new Build(state);
  build.installHandlers();
  upsertSearchAttributes([
    { key: NightshiftLabel, value: state.label },
    { key: NightshiftStatus, value: state.status },
  ]);

  try {
    if (!carried) await build.notify('started', `build ${state.label} started: ${state.request.plan.title}`);
    state.workspace ??= await git.prepareWorkspace({ label: state.label, repo: request.repo, baseRef: request.baseRef });
    for (const checkpoint of build.remainingCheckpoints()) {
      await build.runCheckpoint(checkpoint);
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof buildWorkflow>(request, state);
      }
    }
    await build.finish('completed');
    await build.notify('completed', `build ${state.label} completed: ${summaryLine(state)}`);
    return build.result();
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await build.finish('cancelled');
        await build.notify('cancelled', `build ${state.label} was cancelled`);
      });
      throw err;
    }
    // Anything but an ApplicationFailure is a bug in this code: let the workflow task fail and be
    // retried, so a fixed worker picks the build up where it was instead of losing it.
    if (!(err instanceof TemporalFailure)) throw err;
    const message = err instanceof ActivityFailure && err.cause ? err.cause.message : err.message;
    state.lastError = message;
    await build.finish('failed');
    await build.notify('failed', `build ${state.label} failed: ${message}`);
    throw err;
  }
}

type FailedOutcome = BuildState['attempts'][number]['outcome'];
type SessionOutcome =
  | { kind: 'ok'; result: SessionResult }
  | { kind: 'failed'; outcome: FailedOutcome; error: string; resetAt?: string | null }
  | { kind: 'interrupted' };

/** Failure classes that no retry will fix: the person decides at once. */
const ESCALATE_AT_ONCE: Partial<Record<FailedOutcome, WaitReason>> = {
  'budget-exceeded': 'budget-exceeded',
  'permission-blocked': 'permission-blocked',
  stuck: 'stuck',
};
/** A limit that never seems to reset must not park a build forever. */
const MAX_RATE_LIMIT_PARKS = 20;

/** The build's behaviour around one state object; handlers and steps only call the pure transitions. */
class Build {
  /** Running sessions by step, so `pause {now}`, `skip` and the stall timer can cancel them. */
  private readonly running = new Map<string, CancellationScope>();
  /** Last progress seen per session number; the stall timer watches it. */
  private readonly progressAt = new Map<number, number>();
  private progressSeq = 0;

  constructor(private readonly state: BuildState) {}

  installHandlers(): void {
    const s = this.state;
    setHandler(statusQuery, () => toStatus(s));
    const decided = () => s.pendingDecision === null && !s.retryNow;
    this.human<[Pause]>(pauseSignal, pauseUpdate, () => validatePause(s), (p) => this.pause(p));
    this.human(resumeSignal, resumeUpdate, () => validateResume(s), () => applyResume(s), () => s.status !== 'paused');
    this.human(overrideSignal, overrideUpdate, (o) => validateOverride(s, o), (o) => applyOverride(s, o), decided);
    this.human(retrySignal, retryUpdate, () => validateRetry(s), () => applyRetry(s), decided);
    this.human(skipSignal, skipUpdate, (k) => validateSkip(s, k), (k) => this.skip(k.note), decided);
    this.human(feedbackSignal, feedbackUpdate, (f) => validateFeedback(s, f), (f) => applyFeedback(s, f));
    setHandler(progressSignal, (p) => {
      this.progressAt.set(p.session, ++this.progressSeq);
      if (p.line) s.lastOutput = p.line;
    });
  }

  /**
   * A human message as a signal (ignored with a warning when it cannot apply, so `temporal workflow
   * signal` never breaks a build) and as an update whose validator rejects it with the reason. The
   * update answers once the build has acted on it (`settled`), so the caller sees the new state.
   */
  private human<A extends unknown[]>(
    signal: SignalDefinition<A>,
    update: UpdateDefinition<BuildStatusView, A>,
    validate: (...args: A) => string | undefined,
    apply: (...args: A) => void,
    settled?: () => boolean,
  ): void {
    setHandler(signal, (...args: A) => {
      const why = validate(...args);
      if (why) return log.warn(`ignored signal ${signal.name}: ${why}`);
      apply(...args);
      this.touch();
    });
    setHandler(
      update,
      async (...args: A) => {
        apply(...args);
        this.touch();
        if (settled) await condition(settled, '30s');
        return toStatus(this.state);
      },
      {
        validator: (...args: A) => {
          const why = validate(...args);
          if (why) throw new Error(why);
        },
      },
    );
  }

  private pause(p: Parameters<typeof applyPause>[1]): void {
    applyPause(this.state, p);
    if (p?.now) for (const scope of this.running.values()) scope.cancel();
  }

  private skip(note: string): void {
    applySkip(this.state, { note });
    // A skip while a session runs takes effect now: the session is cancelled and the group skipped.
    for (const scope of this.running.values()) scope.cancel();
  }

  remainingCheckpoints(): CheckpointProgress[] {
    return this.state.checkpoints.filter((c) => c.status !== 'completed' && c.status !== 'skipped');
  }

  private planCheckpoint(id: string): Checkpoint {
    const found = this.state.request.plan.checkpoints.find((c) => c.id === id);
    if (!found) throw ApplicationFailure.nonRetryable(`checkpoint ${id} is not in the plan`, 'InvalidPlan');
    return found;
  }

  async runCheckpoint(progress: CheckpointProgress): Promise<void> {
    const s = this.state;
    const checkpoint = this.planCheckpoint(progress.id);
    s.position = { checkpoint: progress.id, taskGroup: null };
    progress.status = 'running';
    upsertSearchAttributes([{ key: NightshiftCheckpoint, value: progress.id }]);
    this.setStatus('running');
    await this.record();

    await this.runTaskGroups(checkpoint, progress);
    if (isSkipped(progress)) return this.afterSkip(progress);

    const verdict = await this.verify(checkpoint, progress);
    if (verdict === 'skipped') return this.afterSkip(progress);

    await this.pauseGate();
    progress.status = 'committing';
    this.setStatus('committing');
    const committed = await git.commitCheckpoint({
      label: s.label,
      runId: s.runId,
      worktree: this.worktree(),
      checkpointId: progress.id,
      title: progress.title,
      ...(s.request.sessionDir ? { session: this.sessionFiles(progress) } : {}),
    });
    progress.commit = committed.commit;
    progress.status = 'completed';
    s.position = { checkpoint: null, taskGroup: null };
    this.setStatus('running');
    await this.record();
  }

  /** Task groups run in waves: every group whose dependencies are finished runs now, in parallel. */
  private async runTaskGroups(checkpoint: Checkpoint, progress: CheckpointProgress): Promise<void> {
    const finished = (g: TaskGroupProgress) => g.status === 'done' || g.status === 'skipped' || g.status === 'overridden';
    const byId = new Map(progress.taskGroups.map((g) => [g.id, g]));
    while (progress.status !== 'skipped') {
      const ready = progress.taskGroups.filter(
        (g) =>
          !finished(g) &&
          (checkpoint.task_groups.find((t) => t.id === g.id)?.depends_on ?? []).every((d) => {
            const dep = byId.get(d);
            return !dep || finished(dep);
          }),
      );
      if (ready.length === 0) return;
      await Promise.all(
        ready.map((g) => this.runTaskGroup(checkpoint, progress, g, checkpoint.task_groups.find((t) => t.id === g.id) as TaskGroup)),
      );
    }
  }

  private async runTaskGroup(checkpoint: Checkpoint, cp: CheckpointProgress, group: TaskGroupProgress, plan: TaskGroup): Promise<void> {
    const s = this.state;
    const step = `checkpoint ${cp.id}, task group ${group.id}`;
    let parks = 0;
    for (;;) {
      await this.pauseGate();
      if (isSkipped(cp)) return;
      if (this.takeSkip(cp, group, step)) return;
      const overBudget = await this.budgetGate(step);
      if (overBudget && overBudget.kind !== 'retry') return this.decideStep(cp, group, overBudget);
      s.position = { checkpoint: cp.id, taskGroup: group.id };
      group.status = 'running';
      const outcome = await this.runSession(checkpoint, cp, plan, group.id);
      if (outcome.kind === 'ok') {
        group.status = 'done';
        delete s.agentSessions[group.id];
        this.recordAgentNotes(outcome.result, group.id);
        await this.record();
        return;
      }
      if (outcome.kind === 'interrupted') continue;

      if (outcome.outcome === 'rate-limited' && parks < MAX_RATE_LIMIT_PARKS) {
        // Not the agent's fault: wait for the limit to reset and resume, without spending an attempt.
        parks += 1;
        this.recordAttempt(step, 'rate-limited', outcome.error);
        await this.park(outcome.resetAt ?? null, step);
        continue;
      }
      // Going in circles only escalates early when it saves attempts; otherwise it is a plain failure.
      const kind = outcome.outcome === 'stuck' && group.attempts + 1 >= s.request.policy.maxAttempts ? 'failed' : outcome.outcome;
      this.recordAttempt(step, kind, outcome.error);
      if (outcome.outcome === 'stalled') await this.notify('stalled', `build ${s.label} stalled at ${step}: ${outcome.error}`);
      const atOnce = ESCALATE_AT_ONCE[kind];
      if (!atOnce) group.attempts += 1;
      if (!atOnce && group.attempts < s.request.policy.maxAttempts) {
        await this.backoff();
        continue;
      }
      const decision = await this.awaitHuman(
        atOnce ?? (kind === 'stalled' ? 'stalled' : 'escalated'),
        step,
        atOnce ? `${step}: ${outcome.error}` : `${step} failed ${group.attempts} times; last error: ${outcome.error}`,
      );
      if (decision.kind === 'retry' && atOnce === 'budget-exceeded') this.grantBudget();
      if (decision.kind === 'retry') {
        group.attempts = 0;
        continue;
      }
      return this.decideStep(cp, group, decision);
    }
  }

  /** Override or skip of a task group, each leaving a DevNote. */
  private decideStep(cp: CheckpointProgress, group: TaskGroupProgress, decision: Exclude<Decision, { kind: 'retry' }>): void {
    if (decision.kind === 'override') {
      addDevNote(this.state, 'decision', decision.note, { type: 'task', ref: group.id }, now());
      group.status = 'overridden';
      return;
    }
    this.skipStep(cp, group, decision.note);
  }

  /** A skip decision that arrived while no one was waiting for it applies to the current step. */
  private takeSkip(cp: CheckpointProgress, group: TaskGroupProgress, _step: string): boolean {
    const d = this.state.pendingDecision;
    if (d?.kind !== 'skip' || this.state.status === 'awaiting-human') return false;
    this.state.pendingDecision = null;
    this.skipStep(cp, group, d.note);
    return true;
  }

  private skipStep(cp: CheckpointProgress, group: TaskGroupProgress | null, note: string): void {
    const ref = group ? group.id : cp.id;
    addDevNote(this.state, 'deviation', `skipped: ${note}`, { type: group ? 'task' : 'checkpoint', ref }, now());
    if (group) group.status = 'skipped';
    else cp.status = 'skipped';
  }

  private async afterSkip(cp: CheckpointProgress): Promise<void> {
    // Work left behind by a skipped checkpoint must not leak into the next one's commit: keep it in a stash.
    cp.status = 'skipped';
    await git.stashWork({ worktree: this.worktree(), message: `nightshift: skipped checkpoint ${cp.id} of ${this.state.label}` });
    this.state.position = { checkpoint: null, taskGroup: null };
    this.setStatus('running');
    await this.record();
  }

  private async verify(checkpoint: Checkpoint, cp: CheckpointProgress): Promise<'passed' | 'overridden' | 'skipped'> {
    const s = this.state;
    const step = `checkpoint ${cp.id} verification`;
    for (;;) {
      await this.pauseGate();
      const pending = s.pendingDecision;
      if (pending?.kind === 'skip') {
        s.pendingDecision = null;
        this.skipStep(cp, null, pending.note);
        return 'skipped';
      }
      cp.status = 'verifying';
      this.setStatus('verifying');
      const result = await git.runVerification({
        label: s.label,
        checkpointId: cp.id,
        attempt: cp.verifyAttempts + 1,
        worktree: this.worktree(),
        steps: verificationSteps(checkpoint),
        timeoutMs: s.request.policy.verifyTimeout,
      });
      if (result.passed) return 'passed';

      const failing = result.steps
        .filter((r) => !r.passed)
        .map((r) => `$ ${r.name}${r.timedOut ? ' (timed out)' : ` (exit ${r.exitCode})`}\n${r.outputTail}`)
        .join('\n');
      cp.verifyAttempts += 1;
      this.recordAttempt(step, 'verification-failed', failing);
      if (cp.verifyAttempts < s.request.policy.maxAttempts) {
        // Seed 001's loop, without the person: the agent gets the failing output and another session.
        cp.status = 'running';
        this.setStatus('running');
        const fixGroup = checkpoint.task_groups[checkpoint.task_groups.length - 1] as TaskGroup;
        const outcome = await this.runSession(checkpoint, cp, fixGroup, fixGroup.id, failing);
        if (outcome.kind === 'ok') this.recordAgentNotes(outcome.result, fixGroup.id);
        continue;
      }
      const decision = await this.awaitHuman('verification-failed', step, `verification failed ${cp.verifyAttempts} times:\n${failing}`);
      if (decision.kind === 'retry') {
        cp.verifyAttempts = 0;
        continue;
      }
      if (decision.kind === 'override') {
        addDevNote(s, 'decision', `verification overridden: ${decision.note}`, { type: 'checkpoint', ref: cp.id }, now());
        return 'overridden';
      }
      this.skipStep(cp, null, decision.note);
      return 'skipped';
    }
  }

  /** One agent session, raced against the stall timer; cancelled by `pause {now}` or `skip`. */
  private async runSession(
    checkpoint: Checkpoint,
    cp: CheckpointProgress,
    group: TaskGroup,
    key: string,
    failingVerification?: string,
  ): Promise<SessionOutcome> {
    const s = this.state;
    const policy = s.request.policy;
    const session = ++s.sessions;
    const prompt = buildPrompt({
      planTitle: s.request.plan.title,
      checkpoint,
      group,
      devNotes: s.devNotes,
      feedback: takeFeedback(s),
      ...(failingVerification ? { failingVerification } : {}),
    });
    const agent = proxyActivities<Activities>({
      startToCloseTimeout: policy.maxSessionTime,
      heartbeatTimeout: policy.heartbeatTimeout,
      // Attempts are counted by this workflow, so exits, stalls and lost workers share one count.
      retry: { maximumAttempts: 1 },
      // Pause-now, skip, stall and cancel go on only once the agent's process group is dead.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    const scope = new CancellationScope();
    this.running.set(key, scope);
    this.progressAt.set(session, this.progressSeq);
    let done = false;
    let stalled = false;
    // The stall timer ends with the session (`done`), never by cancellation: a cancelled build must
    // not leave it rejecting with nobody listening.
    const stallWatch = CancellationScope.nonCancellable(async () => {
      while (!done) {
        const seen = this.progressAt.get(session);
        const moved = await condition(() => done || this.progressAt.get(session) !== seen, policy.stallTimeout);
        if (!moved && !done) {
          stalled = true;
          scope.cancel();
          return;
        }
      }
    });
    this.touch();
    setCurrentDetails(this.details(`session ${session}: checkpoint ${cp.id}, task group ${group.id}`));
    try {
      const result = await scope.run(() =>
        agent.runAgentSession({
          workflowId: s.workflowId,
          label: s.label,
          session,
          checkpointId: cp.id,
          taskGroupId: key,
          worktree: this.worktree(),
          prompt,
          agent: s.request.agent,
          progressEveryMs: progressInterval(policy.stallTimeout),
          ...this.agentSession(key),
          ...(policy.sessionBudgetUsd ? { maxBudgetUsd: policy.sessionBudgetUsd } : {}),
        }),
      );
      if (result.lastLine) s.lastOutput = result.lastLine;
      s.spentUsd += result.costUsd ?? 0;
      if (result.agentSessionId && RESUMABLE_AGENTS.includes(s.request.agent.kind)) s.agentSessions[key] = result.agentSessionId;
      if (result.ok) {
        s.recentFailures = [];
        return { kind: 'ok', result };
      }
      const why = result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
      const error = `agent ${why}: ${result.failureMessage || result.stderrTail || result.lastLine || ''}`.trim();
      const previous = s.recentFailures;
      s.recentFailures = [...previous, result.lastLine ?? ''].slice(-5);
      if (result.failureClass === 'transient' && isStuck(previous, result.lastLine, STUCK_REPEATS)) {
        return { kind: 'failed', outcome: 'stuck', error: `the same output ${STUCK_REPEATS} sessions in a row: ${result.lastLine}` };
      }
      const outcome: FailedOutcome = result.failureClass && result.failureClass !== 'transient' ? result.failureClass : 'failed';
      return { kind: 'failed', outcome, error, resetAt: result.resetAt };
    } catch (err) {
      if (isCancellation(err) || (err instanceof ActivityFailure && isCancellation(err.cause))) {
        if (CancellationScope.current().consideredCancelled) throw err;
        if (stalled) return { kind: 'failed', outcome: 'stalled', error: `no output for ${policy.stallTimeout / 1000}s` };
        return { kind: 'interrupted' };
      }
      if (err instanceof ActivityFailure) {
        const cause = err.cause;
        if (cause instanceof ApplicationFailure && cause.type === 'WorkerShutdown') return { kind: 'interrupted' };
        return { kind: 'failed', outcome: 'worker-lost', error: cause?.message ?? err.message };
      }
      throw err;
    } finally {
      done = true;
      this.running.delete(key);
      this.progressAt.delete(session);
      await stallWatch;
    }
  }

  /** A first attempt gets a fresh agent session id (claude); a retry resumes the one it had. */
  private agentSession(key: string): { agentSessionId?: string; resumeSessionId?: string } {
    const s = this.state;
    if (!RESUMABLE_AGENTS.includes(s.request.agent.kind)) return {};
    const known = s.agentSessions[key];
    if (known) return { resumeSessionId: known };
    return s.request.agent.kind === 'claude' ? { agentSessionId: uuid4() } : {};
  }

  /** `rate-limited`: a durable timer until the limit resets (at least 5 s); `retry` ends it early. */
  private async park(resetAt: string | null, step: string): Promise<void> {
    const s = this.state;
    const until = resetAt ? Date.parse(resetAt) : NaN;
    const waitMs = Math.max(5000, Number.isNaN(until) ? s.request.policy.retryInterval : until - Date.now());
    const wakeAt = new Date(Date.now() + waitMs).toISOString();
    const before = s.status;
    s.waiting = { reason: 'rate-limited', step, message: `the agent's usage limit resets at ${wakeAt}; resuming then`, since: now() };
    this.setStatus('rate-limited');
    await this.record();
    await this.notify('paused', `build ${s.label} is rate-limited at ${step}; resuming at ${wakeAt}`);
    s.retryNow = false;
    await condition(() => s.retryNow, waitMs);
    s.retryNow = false;
    s.waiting = null;
    this.setStatus(before === 'rate-limited' ? 'running' : before);
  }

  /** No new session once the build budget is spent: the person decides (retry grants as much again). */
  private async budgetGate(step: string): Promise<Decision | null> {
    const s = this.state;
    const budget = buildBudget(s);
    if (budget === null || s.spentUsd < budget) return null;
    const decision = await this.awaitHuman('budget-exceeded', step, `the build has spent $${s.spentUsd.toFixed(2)} of its $${budget.toFixed(2)} budget`);
    if (decision.kind === 'retry') this.grantBudget();
    return decision;
  }

  private grantBudget(): void {
    this.state.budgetGrantedUsd += this.state.request.policy.buildBudgetUsd ?? 0;
  }

  private recordAgentNotes(result: SessionResult, ref: string): void {
    for (const note of result.devNotes) addDevNote(this.state, note.category, note.content, { type: 'task', ref }, now());
  }

  private recordAttempt(step: string, outcome: BuildState['attempts'][number]['outcome'], error: string): void {
    const s = this.state;
    const trimmed = error.length > 2000 ? `…${error.slice(-2000)}` : error;
    s.lastError = trimmed;
    s.attempts.push({ step, session: outcome === 'verification-failed' ? null : s.sessions, outcome, error: trimmed, at: now() });
    if (s.attempts.length > 50) s.attempts.splice(0, s.attempts.length - 50);
  }

  /** The policy's wait between attempts; `retry` cuts it short, `pause` outlasts it. */
  private async backoff(): Promise<void> {
    this.state.retryNow = false;
    this.touch();
    await this.record();
    await condition(() => this.state.retryNow || this.state.pendingDecision?.kind === 'skip', this.state.request.policy.retryInterval);
    this.state.retryNow = false;
  }

  /** Escalation: tell the person, then wait as long as it takes for retry, override, skip or cancel. */
  private async awaitHuman(reason: WaitReason, step: string, message: string): Promise<Decision> {
    const s = this.state;
    s.pendingDecision = null;
    await this.notify('escalated', `build ${s.label} needs a decision (${reason}) at ${step}: ${message}`);
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

  private async pauseGate(): Promise<void> {
    const s = this.state;
    if (!s.pauseRequested) return;
    const before = s.status;
    const reason = s.pauseRequested.reason;
    this.setStatus('paused');
    await this.record();
    await this.notify('paused', `build ${s.label} paused${reason ? `: ${reason}` : ''}`);
    await condition(() => s.pauseRequested === null);
    this.setStatus(before === 'paused' ? 'running' : before);
    await this.record();
  }

  async finish(status: BuildStatus): Promise<void> {
    this.state.finishedAt = now();
    this.setStatus(status);
    await this.record();
  }

  setStatus(status: BuildStatus): void {
    const s = this.state;
    if (s.status !== status) {
      s.status = status;
      upsertSearchAttributes([{ key: NightshiftStatus, value: status }]);
    }
    this.touch();
    setCurrentDetails(this.details());
  }

  private touch(): void {
    this.state.updatedAt = now();
  }

  private details(extra?: string): string {
    const s = this.state;
    const done = s.checkpoints.filter((c) => c.status === 'completed').length;
    const lines = [
      `**${s.status}**${s.waiting ? ` (${s.waiting.reason})` : ''} · ${done}/${s.checkpoints.length} checkpoints`,
      s.position.checkpoint ? `checkpoint ${s.position.checkpoint}${s.position.taskGroup ? `, task group ${s.position.taskGroup}` : ''}` : '',
      extra ?? '',
      s.waiting ? `waiting for: nightshift retry|override|skip ${s.label}` : '',
      s.lastError ? `last error: ${s.lastError.slice(0, 300)}` : '',
    ];
    return lines.filter(Boolean).join('\n\n');
  }

  async record(): Promise<void> {
    await quick.recordProgress({ view: toStatus(this.state) });
  }

  async notify(event: Parameters<Activities['notify']>[0]['event'], message: string): Promise<void> {
    const input = { label: this.state.label, event, message };
    await quick.notify(input);
    // The webhook (NIGHTSHIFT_WEBHOOK_URL on the worker) is best effort: a few quick attempts, then
    // given up; its failure is only logged. The build does not wait for it, except briefly when it
    // ends, since a post still pending when the workflow closes would be dropped.
    const webhook = proxyActivities<Activities>({
      startToCloseTimeout: '15 seconds',
      retry: { maximumAttempts: 5, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '4s' },
    });
    let settled = false;
    void webhook
      .notifyWebhook(input)
      .catch((err: unknown) => log.warn(`webhook for ${event} gave up`, { error: String(err) }))
      .finally(() => {
        settled = true;
      });
    if (event === 'completed' || event === 'failed' || event === 'cancelled') await condition(() => settled, '3 seconds');
  }

  private worktree(): string {
    const ws = this.state.workspace;
    if (!ws) throw ApplicationFailure.nonRetryable('the build has no workspace', 'NoWorkspace');
    return ws.path;
  }

  private sessionFiles(progress: CheckpointProgress) {
    const s = this.state;
    const completed = s.checkpoints.filter((c) => c.status === 'completed' || c === progress).map((c) => c.id);
    const next = s.checkpoints.find((c) => c !== progress && c.status !== 'completed' && c.status !== 'skipped');
    return {
      dir: s.request.sessionDir as string,
      completedCheckpoints: completed,
      nextCheckpoint: next?.id ?? null,
      devNotes: s.devNotes,
      summary: `checkpoint ${progress.id} (${progress.title}) completed by nightshift build ${s.label}`,
      at: now(),
    };
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

/**
 * Progress signals land in history, so they are throttled: often enough that the stall timer never
 * fires on an agent that is talking (8 per stall timeout), never more than once a second, and at
 * least every 15 s so `status` stays fresh.
 */
export function progressInterval(stallTimeoutMs: number): number {
  return Math.max(1000, Math.min(15_000, Math.floor(stallTimeoutMs / 8)));
}

/** The same last line this many failed sessions in a row means the agent is going in circles. */
const STUCK_REPEATS = 3;

function isSkipped(cp: CheckpointProgress): boolean {
  return cp.status === 'skipped';
}

function takeDecision(s: BuildState): Decision {
  const d = s.pendingDecision;
  if (!d) throw ApplicationFailure.nonRetryable('no decision to take', 'InternalError');
  return d;
}

function now(): string {
  return new Date().toISOString();
}

function summaryLine(state: BuildState): string {
  const done = state.checkpoints.filter((c) => c.status === 'completed').length;
  return `${done}/${state.checkpoints.length} checkpoints committed, ${state.devNotes.length} DevNotes`;
}
