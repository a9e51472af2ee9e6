import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  TemporalFailure,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { ActivityOptions, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { type Checkpoint, type TaskGroup, verificationSteps } from '../../model/plan';
import type { PayloadOf } from '../../model/payloads';
import type { CommitResult, VerifyResult } from '../../activities/types';
import { type BuildRequest, type BuildRequestInput, BuildRequestSchema } from '../../model/request';
import { type Activities, type BuildResult, now } from './runtime';
import { agentKey } from './session';
import { BuildHosts } from './hosts';
import { settleAll } from './hostRoute';
import { deliverCompleted, deliveryInput, deliveryInputQuery } from './delivery';
import { runSetup } from './setup';
import { afterPersonRetry, freshCounters, judgeSession } from '../shared/stepPolicy';
import { checkpointGate, keep, withReport } from './gate';
import { renderBuildComplete, renderBuildStarted, renderCheckpointComplete, renderVerificationFailed, toVerificationLines } from '../../model/seedReports';
import { parseInput, setHumanHandlers, signalPayload } from '../shared/inputs';
import {
  type HumanMessage,
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
import { deliveryLine } from '../../model/delivery';
import { named, timer } from '../shared/markers';
import { NightshiftAgent, NightshiftCheckpoint, NightshiftHost, NightshiftLabel, NightshiftStatus } from '../shared/searchAttributes';
import {
  addDevNote,
  applyFeedback,
  applyOverride,
  applyPause,
  atCheckpointReview,
  applyResume,
  applyRetry,
  applySkip,
  type BuildState,
  type BuildStatusView,
  type CheckpointProgress,
  type Decision,
  initialState,
  type TaskGroupProgress,
  toStatus,
  validateFeedback,
  validateOverride,
  validatePause,
  validateResume,
  validateRetry,
  validateSkip,
} from './state';
import { dispatched } from '../shared/dispatch';

export type { BuildResult } from './runtime';

/** The commit's share of a verify-and-commit activity's start-to-close timeout (the commit alone has 5 minutes). */
const COMMIT_TIMEOUT_MS = 5 * 60_000;
export { progressInterval } from './session';

const git = proxyActivities<Activities>(dispatched({
  startToCloseTimeout: '5 minutes',
  // The activity heartbeats every second: a worker lost while preparing the worktree is noticed in 30 s, not 5 minutes.
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['InvalidRepo'] },
}));

/**
 * One build: for each checkpoint, its task groups through agent sessions, then verification, then
 * exactly one commit. A step that keeps failing is retried after the policy's interval and then put
 * in front of the person, who can retry, override or skip it; `pause` and `resume` work at any time.
 */
export async function buildWorkflow(input: BuildRequestInput, carried?: BuildState): Promise<BuildResult> {
  // A request may come from `temporal workflow start --input-file` as the person wrote it: parsed
  // here with the CLI's schema and defaults, or the build fails at once naming the field.
  const request: BuildRequest = parseInput('build request', BuildRequestSchema, input);
  const info = workflowInfo();
  const state = carried ?? initialState(request, { workflowId: info.workflowId, runId: info.firstExecutionRunId }, now());
  const build = new Build(state);
  // Before the first command: a build whose history began before lean history replays without it.
  build.lean = patched('nightshift-lean-history');
  build.filesBySink = build.lean && patched('nightshift-files-by-sink');
  build.installHandlers();
  upsertSearchAttributes([
    { key: NightshiftLabel, value: state.label },
    { key: NightshiftStatus, value: state.status },
    { key: NightshiftAgent, value: request.agent.kind },
  ]);

  try {
    const first = build.remainingCheckpoints()[0];
    const startedLine = `build ${state.label} started: ${state.request.plan.title}`;
    if (!carried) await build.notify('started', first ? withReport(startedLine, renderBuildStarted(state, first.id)) : startedLine);
    state.workspace ??= await named(git.prepareWorkspace, `prepare worktree nightshift/${state.label}`, { label: state.label, repo: request.repo, baseRef: request.baseRef, remote: request.push ? request.remote : null });
    if (state.workspace.host) build.setAttributes([{ key: NightshiftHost, value: state.workspace.host }]);
    for (const checkpoint of build.remainingCheckpoints()) {
      await build.runCheckpoint(checkpoint);
      if (workflowInfo().continueAsNewSuggested) {
        // With lean history the last commit was not recorded yet: the new run starts from the files too.
        if (build.lean) await build.record();
        await condition(allHandlersFinished);
        await continueAsNew<typeof buildWorkflow>(request, state);
      }
    }
    const complete = keep(state, 'build_complete', null, renderBuildComplete(state));
    await build.finish('completed');
    await build.deliver();
    await build.finalNotify('completed', withReport(`build ${state.label} completed: ${summaryLine(state)}${deliveredLine(state)}`, complete));
    return build.result();
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await build.finish('cancelled');
        await build.finalNotify('cancelled', `build ${state.label} was cancelled`);
      });
      throw err;
    }
    // Anything but an ApplicationFailure is a bug in this code: let the workflow task fail and be
    // retried, so a fixed worker picks the build up where it was instead of losing it.
    if (!(err instanceof TemporalFailure)) throw err;
    const message = err instanceof ActivityFailure && err.cause ? err.cause.message : err.message;
    state.lastError = message;
    await build.finish('failed');
    await build.finalNotify('failed', `build ${state.label} failed: ${message}`);
    throw err;
  }
}

/** The build's process around one state object; handlers and steps only call the pure transitions. */
class Build extends BuildHosts {
  installHandlers(): void {
    const s = this.state;
    setHandler(statusQuery, () => toStatus(s));
    setHandler(deliveryInputQuery, () => deliveryInput(s));
    const decided = () => s.pendingDecision === null && !s.retryNow;
    this.human('pause', pauseSignal, pauseUpdate, () => validatePause(s), (p) => this.pause(p));
    this.human('resume', resumeSignal, resumeUpdate, () => validateResume(s), () => applyResume(s), () => s.status !== 'paused' && !atCheckpointReview(s));
    this.human('override', overrideSignal, overrideUpdate, (o) => validateOverride(s, o), (o) => applyOverride(s, o), decided);
    this.human('retry', retrySignal, retryUpdate, () => validateRetry(s), () => applyRetry(s), decided);
    this.human('skip', skipSignal, skipUpdate, (k) => validateSkip(s, k), (k) => this.skip(k.note), decided);
    this.human('feedback', feedbackSignal, feedbackUpdate, (f) => validateFeedback(s, f), (f) => applyFeedback(s, f));
    setHandler(progressSignal, (...args: unknown[]) => {
      const p = signalPayload('progress', args);
      if (!p) return;
      this.progressAt.set(p.value.session, ++this.progressSeq);
      if (p.value.line) s.lastOutput = p.value.line;
    });
  }

  /**
   * A human message as a signal (ignored with a warning when its payload is malformed or it cannot
   * apply, so `temporal workflow signal` never breaks a build) and as an update whose validator
   * rejects it with the reason. Both parse the raw payload with the schema the CLI uses first. The
   * update answers once the build has acted on it (`settled`), so the caller sees the new state.
   */
  private human<N extends HumanMessage, A extends unknown[]>(
    name: N,
    signal: SignalDefinition<A>,
    update: UpdateDefinition<BuildStatusView, A>,
    validate: (payload: PayloadOf<N>) => string | undefined,
    apply: (payload: PayloadOf<N>) => void,
    settled?: () => boolean,
  ): void {
    setHumanHandlers(name, signal, update, {
      validate,
      apply: (payload) => {
        apply(payload);
        this.touch();
      },
      answer: async () => {
        if (settled) await condition(settled, '30s', timer(`${name}: wait for the build to act on it (30s)`));
        return toStatus(this.state);
      },
    });
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

  /** The repository's setup commands, once per new worktree, before its first session (buildSetup.ts). */
  private async setup(): Promise<void> {
    await runSetup(this.state, {
      awaitHuman: (reason, step, message) => this.awaitHuman(reason, step, message),
      record: () => this.record(),
      setStatus: (status) => this.setStatus(status),
      route: () => this.route(),
      ownerInput: () => this.ownerInput(),
    });
  }

  /** A completed build's pull request or delivery command (buildDelivery.ts); its failure never fails the build. */
  async deliver(): Promise<void> {
    await deliverCompleted(this.state, () => this.route(), this.lean);
    // With lean history the last notification writes the files (finalNotify).
    if (this.state.delivery && !this.lean) await this.record();
  }

  remainingCheckpoints(): CheckpointProgress[] {
    return this.state.checkpoints.filter((c) => c.status !== 'completed' && c.status !== 'skipped');
  }

  private planCheckpoint(id: string): Checkpoint {
    const found = this.state.request.plan.checkpoints.find((c) => c.id === id);
    if (!found) throw ApplicationFailure.nonRetryable(`checkpoint ${id} is not in the plan`, 'InvalidPlan');
    return found;
  }

  /** A checkpoint on its workspace's host; if that host is lost, another takes the build over and runs it again. */
  async runCheckpoint(progress: CheckpointProgress): Promise<void> {
    // Skipped at a checkpoint gate after the list of remaining checkpoints was taken.
    if (progress.status === 'skipped') return;
    await this.onOwner(progress, () => this.runCheckpointOnce(progress));
  }

  private async runCheckpointOnce(progress: CheckpointProgress): Promise<void> {
    const s = this.state;
    const checkpoint = this.planCheckpoint(progress.id);
    await this.setup();
    s.position = { checkpoint: progress.id, taskGroup: null };
    progress.status = 'running';
    keep(s, 'build_started', progress.id, renderBuildStarted(s, progress.id));
    this.setAttributes([{ key: NightshiftCheckpoint, value: progress.id }]);
    this.setStatus('running');
    await this.record();

    await this.runTaskGroups(checkpoint, progress);
    if (isSkipped(progress)) return this.afterSkip(progress);

    const { verdict, committed: verifiedAndCommitted } = await this.verify(checkpoint, progress);
    if (verdict === 'skipped') return this.afterSkip(progress);

    let committed = verifiedAndCommitted;
    if (!committed) {
      await this.pauseGate();
      progress.status = 'committing';
      this.setStatus('committing');
      this.flushAttributes();
      committed = await named(this.onHost().commitCheckpoint, `commit checkpoint-${progress.id}: ${progress.title}`, this.commitInput(progress));
    }
    progress.commit = committed.commit;
    if (committed.files) progress.files = committed.files;
    await this.pushCheckpoint(progress);
    progress.status = 'completed';
    s.position = { checkpoint: null, taskGroup: null };
    this.setStatus('running');
    const report = keep(s, 'checkpoint_complete', progress.id, renderCheckpointComplete(s, progress.id));
    // With lean history what comes next writes the files: the next checkpoint's start, the gate,
    // the build's end, or the record before continue-as-new.
    if (!this.lean) await this.record();
    await checkpointGate(s, progress, report, this);
  }

  private commitInput(progress: CheckpointProgress) {
    const s = this.state;
    return {
      ...this.ownerInput(),
      label: s.label,
      runId: s.runId,
      worktree: this.worktree(),
      checkpointId: progress.id,
      title: progress.title,
      ...(s.request.sessionDir ? { session: this.sessionFiles(progress) } : {}),
    };
  }

  /** The build's last notification; with lean history it writes the files too (finish did not). */
  async finalNotify(event: 'completed' | 'failed' | 'cancelled', message: string): Promise<void> {
    if (this.lean) return this.recordAndNotify(event, message);
    return this.notify(event, message);
  }

  /** Task groups run in waves: every group whose dependencies are finished runs now, in parallel. */
  private async runTaskGroups(checkpoint: Checkpoint, progress: CheckpointProgress): Promise<void> {
    const finished = finishedGroup;
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
      await settleAll(
        ready.map((g) => this.runTaskGroup(checkpoint, progress, g, checkpoint.task_groups.find((t) => t.id === g.id) as TaskGroup)),
      );
    }
  }

  private async runTaskGroup(checkpoint: Checkpoint, cp: CheckpointProgress, group: TaskGroupProgress, plan: TaskGroup): Promise<void> {
    const s = this.state;
    const step = `checkpoint ${cp.id}, task group ${group.id}`;
    // Parks and lost workers in a row; attempts live on the group and recent failures on the build.
    let counters = freshCounters();
    for (;;) {
      await this.pauseGate();
      if (isSkipped(cp)) return;
      if (this.takeSkip(cp, group, step)) return;
      const overBudget = await this.budgetGate(step);
      if (overBudget && overBudget.kind !== 'retry') return this.decideStep(cp, group, overBudget);
      s.position = { checkpoint: cp.id, taskGroup: group.id };
      group.status = 'running';
      const { ending, result } = await this.runSession(checkpoint, cp, plan, group.id);
      const verdict = judgeSession(
        ending,
        { ...counters, attempts: group.attempts, recentFailures: s.recentFailures },
        { subject: step, maxAttempts: s.request.policy.maxAttempts },
      );
      counters = verdict.counters;
      group.attempts = counters.attempts;
      s.recentFailures = counters.recentFailures;
      if (verdict.forgetAgentSession) delete s.agentSessions[agentKey(cp.id, group.id)];
      if (verdict.record) this.recordAttempt(step, verdict.record.outcome, verdict.record.error);
      const next = verdict.decision;
      if (next.kind === 'done') {
        group.status = 'done';
        delete s.agentSessions[agentKey(cp.id, group.id)];
        if (result) this.recordAgentNotes(result, group.id);
        // The checkpoint's last group: its verification writes the files next (lean history).
        if (!this.lean || !cp.taskGroups.every(finishedGroup)) await this.record();
        return;
      }
      if (next.kind === 'rerun') continue;
      if (next.kind === 'park') {
        await this.park(next.resetAt, step);
        continue;
      }
      if (ending.kind === 'stalled') await this.notify('stalled', `build ${s.label} stalled at ${step}: ${ending.error}`);
      if (next.kind === 'retry') {
        await this.backoff({ next: group.attempts + 1, step });
        continue;
      }
      const decision = await this.awaitHuman(next.reason, step, next.message);
      if (decision.kind === 'retry' && next.reason === 'budget-exceeded') this.grantBudget();
      if (decision.kind === 'retry') {
        counters = afterPersonRetry(counters);
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
    await named(this.onHost().stashWork, `stash the work of skipped checkpoint ${cp.id}`, {
      ...this.ownerInput(),
      worktree: this.worktree(),
      message: `nightshift: skipped checkpoint ${cp.id} of ${this.state.label}`,
    });
    this.state.position = { checkpoint: null, taskGroup: null };
    this.setStatus('running');
    await this.record();
  }

  /**
   * Verification until it passes, is overridden or skipped. With lean history a passing
   * verification is committed by the same activity (when no pause waits), and `committed` is its commit.
   */
  private async verify(checkpoint: Checkpoint, cp: CheckpointProgress): Promise<{ verdict: 'passed' | 'overridden' | 'skipped'; committed?: CommitResult }> {
    const s = this.state;
    const step = `checkpoint ${cp.id} verification`;
    for (;;) {
      await this.pauseGate();
      const pending = s.pendingDecision;
      if (pending?.kind === 'skip') {
        s.pendingDecision = null;
        this.skipStep(cp, null, pending.note);
        return { verdict: 'skipped' };
      }
      cp.status = 'verifying';
      this.setStatus('verifying');
      if (this.lean) await this.record();
      const verifyOptions: ActivityOptions & { startToCloseTimeout: number } = {
        // Each step has its own limit (verifyTimeout); the whole run gets all of them plus a minute.
        startToCloseTimeout: s.request.policy.verifyTimeout * Math.max(1, verificationSteps(checkpoint).length) + 60_000,
        heartbeatTimeout: s.request.policy.heartbeatTimeout,
        retry: { maximumAttempts: 3, initialInterval: '1s' },
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      };
      const verification = proxyActivities<Activities>(dispatched({ ...verifyOptions, ...this.route() }));
      let result: VerifyResult;
      const steps = verificationSteps(checkpoint).length;
      const attempt = cp.verifyAttempts + 1;
      const marker = `verify checkpoint ${cp.id} (${steps} step${steps === 1 ? '' : 's'})${attempt > 1 ? ` · attempt ${attempt}` : ''}`;
      const input = {
        label: s.label,
        checkpointId: cp.id,
        attempt: cp.verifyAttempts + 1,
        ...this.ownerInput(),
        worktree: this.worktree(),
        steps: verificationSteps(checkpoint),
        timeoutMs: s.request.policy.verifyTimeout,
      };
      // A pause that waits keeps the commit for after it (the pause gate before the commit).
      if (this.lean && !s.pauseRequested) {
        const both = await named(this.onHost({ ...verifyOptions, startToCloseTimeout: verifyOptions.startToCloseTimeout + COMMIT_TIMEOUT_MS }).verifyAndCommit, `${marker}, then commit checkpoint-${cp.id}: ${cp.title}`, {
          verify: input,
          commit: this.commitInput(cp),
        });
        cp.verification = toVerificationLines(both.verification.steps);
        if (both.commit) return { verdict: 'passed', committed: both.commit };
        result = both.verification;
      } else {
        result = await named(verification.runVerification, marker, input);
        cp.verification = toVerificationLines(result.steps);
        if (result.passed) return { verdict: 'passed' };
      }

      const failing = result.steps
        .filter((r) => !r.passed)
        .map((r) => `$ ${r.name}${r.timedOut ? ' (timed out)' : ` (exit ${r.exitCode})`}\n${r.outputTail}`)
        .join('\n');
      cp.verifyAttempts += 1;
      this.recordAttempt(step, 'verification-failed', failing);
      let decision: Decision;
      if (cp.verifyAttempts < s.request.policy.maxAttempts) {
        // Seed 001's loop, without the person: the agent gets the failing output and another session.
        cp.status = 'running';
        this.setStatus('running');
        const escalated = await this.fixSession(checkpoint, cp, failing, step);
        if (!escalated) continue;
        decision = escalated;
      } else {
        const report = keep(s, 'verification_failed', cp.id, renderVerificationFailed(s, cp.id, (cp.verification ?? []).filter((v) => !v.passed)));
        decision = await this.awaitHuman('verification-failed', step, `verification failed ${cp.verifyAttempts} times:\n${failing}`, report);
      }
      if (decision.kind === 'retry') {
        cp.verifyAttempts = 0;
        continue;
      }
      if (decision.kind === 'override') {
        addDevNote(s, 'decision', `verification overridden: ${decision.note}`, { type: 'checkpoint', ref: cp.id }, now());
        return { verdict: 'overridden' };
      }
      this.skipStep(cp, null, decision.note);
      return { verdict: 'skipped' };
    }
  }

  /**
   * The session that fixes a failed verification. The step policy judges its end as any other's: a
   * lost or handed-over worker runs it again, a usage limit parks it, and what no retry fixes (auth,
   * budget, permission, stuck) goes to the person, whose decision is returned. Any other failure is
   * left to the next verification, which counts the attempt.
   */
  private async fixSession(checkpoint: Checkpoint, cp: CheckpointProgress, failing: string, step: string): Promise<Decision | null> {
    const s = this.state;
    const fixGroup = checkpoint.task_groups[checkpoint.task_groups.length - 1] as TaskGroup;
    let counters = freshCounters();
    for (;;) {
      const { ending, result } = await this.runSession(checkpoint, cp, fixGroup, fixGroup.id, failing);
      if (result?.ok) this.recordAgentNotes(result, fixGroup.id);
      const verdict = judgeSession(ending, { ...counters, recentFailures: s.recentFailures }, { subject: step, maxAttempts: s.request.policy.maxAttempts });
      counters = verdict.counters;
      s.recentFailures = counters.recentFailures;
      if (verdict.forgetAgentSession) delete s.agentSessions[agentKey(cp.id, fixGroup.id)];
      const next = verdict.decision;
      const acted = (next.kind === 'rerun' && next.why !== 'interrupted') || next.kind === 'park' || (next.kind === 'escalate' && next.reason !== 'escalated' && next.reason !== 'stalled');
      if (!acted) return null;
      if (verdict.record) this.recordAttempt(step, verdict.record.outcome, verdict.record.error);
      if (next.kind === 'escalate') {
        const decision = await this.awaitHuman(next.reason, step, next.message);
        if (decision.kind === 'retry' && next.reason === 'budget-exceeded') this.grantBudget();
        return decision;
      }
      if (next.kind === 'park') await this.park(next.resetAt, step);
      await this.pauseGate();
      if (s.pendingDecision?.kind === 'skip') return null;
    }
  }

  private sessionFiles(progress: CheckpointProgress) {
    const s = this.state;
    const completed = s.checkpoints.filter((c) => c.status === 'completed' || c === progress).map((c) => c.id);
    // The next checkpoint of the whole plan, not only of this build (which may run one checkpoint).
    const done = new Set([...s.request.completed, ...completed]);
    const skipped = new Set(s.checkpoints.filter((c) => c.status === 'skipped').map((c) => c.id));
    const next = s.request.plan.checkpoints.find((c) => !done.has(c.id) && !skipped.has(c.id));
    return {
      dir: s.request.sessionDir as string,
      sourceRepo: s.request.repo,
      completedCheckpoints: completed,
      nextCheckpoint: next?.id ?? null,
      devNotes: s.devNotes,
      summary: `checkpoint ${progress.id} (${progress.title}) completed by nightshift build ${s.label}`,
      at: now(),
    };
  }
}

function finishedGroup(g: TaskGroupProgress): boolean {
  return g.status === 'done' || g.status === 'skipped' || g.status === 'overridden';
}

function isSkipped(cp: CheckpointProgress): boolean {
  return cp.status === 'skipped';
}

function deliveredLine(state: BuildState): string {
  const line = deliveryLine(state.delivery);
  return line ? `; ${line}` : '';
}

function summaryLine(state: BuildState): string {
  const done = state.checkpoints.filter((c) => c.status === 'completed').length;
  return `${done}/${state.checkpoints.length} checkpoints committed, ${state.devNotes.length} DevNotes`;
}
