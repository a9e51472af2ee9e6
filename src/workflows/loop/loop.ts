import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  TemporalFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { createActivities } from '../../activities';
import type { LoopSnapshot } from '../../activities/loop/files';
import type { SessionResult } from '../../activities/types';
import { loopPrompt } from '../../model/loopPrompt';
import { type LoopRequest, type LoopRequestInput, LoopRequestSchema, type LoopStatus } from '../../model/loopRequest';
import type { PayloadOf } from '../../model/payloads';
import { progressInterval } from '../build/build';
import { driveFromHook } from './hookMode';
import { answerIteration, type HookIteration, isHookLoop, iterationSummary, validateIteration } from './hookState';
import {
  iterationUpdate,
  LOOP_MEMO,
  loopOverrideSignal,
  loopOverrideUpdate,
  loopRetrySignal,
  loopRetryUpdate,
  loopStatusQuery,
} from './messages';
import {
  acceptCompletion,
  addCost,
  applyLoopOverride,
  applyLoopRetry,
  beginSession,
  claimedCompletion,
  countersOf,
  type Decision,
  finishLoop,
  initialLoopState,
  limitBeforeSession,
  loopDir,
  type LoopState,
  type LoopStatusView,
  rejectCompletion,
  sessionDone,
  sessionJudged,
  sessionOverBudget,
  sessionSummary,
  toLoopStatus,
  validateLoopOverride,
  validateLoopRetry,
} from './state';
import { parseInput, setHumanHandlers, signalPayload, updatePayload } from '../shared/inputs';
import { progressSignal } from '../build/messages';
import { named, retryWaitMarker, timer, usageLimitMarker } from '../shared/markers';
import { NightshiftAgent, NightshiftCostUsd, NightshiftLabel, NightshiftStatus, NightshiftWaitReason } from '../shared/searchAttributes';
import { rateLimitWait } from '../shared/rateLimit';
import type { WaitReason } from '../build/state';
import { freshCounters, judgeSession, type StepCounters, type StepEnding, stepEnding } from '../shared/stepPolicy';
import { runWatchedSession } from '../shared/watchedSession';
import { hostQueue } from '../../model/hosts';
import { dispatched } from '../shared/dispatch';

type Activities = ReturnType<typeof createActivities>;
/** `costUsd` is reported by agents that know their cost; absent means 0. */
type Costed = SessionResult & { costUsd?: number | null };
type Stop = { status: LoopStatus; reason: string };
/** How the session ended, for the step policy, and the agent's result when it ran to an end. */
type Outcome = { ending: StepEnding; result: Costed | null };

const FILES: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: ['InvalidRepo'] },
};
const GIT: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  // Its commit and verification heartbeat: a worker lost meanwhile is noticed in 30 s, not 5 minutes.
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '30s' },
};
const files = proxyActivities<Activities>(dispatched(FILES));
const git = proxyActivities<Activities>(dispatched(GIT));

/**
 * A loop works in the person's own checkout, on one machine: once a host has run its first activity,
 * every later one (snapshots, sessions, verification, commits, progress) goes to that host's queue.
 * No takeover: a checkout is not a branch another host could clone (docs/architecture.md).
 */
function onLoopHost(state: LoopState): { taskQueue?: string } {
  return state.host ? { taskQueue: hostQueue(workflowInfo().taskQueue, state.host) } : {};
}
function loopFiles(state: LoopState): typeof files {
  return state.host ? proxyActivities<Activities>(dispatched({ ...FILES, ...onLoopHost(state) })) : files;
}
function loopGit(state: LoopState): typeof git {
  return state.host ? proxyActivities<Activities>(dispatched({ ...GIT, ...onLoopHost(state) })) : git;
}

/**
 * Seed 003's multi-session loop over one task, in the repo's own checkout: run a session, look for
 * completion (promise tag, or every box ticked), check it with `verify`, commit, and go again until
 * complete, out of sessions or out of budget. The workflow id `loop-<taskName>` is the one-runner lock.
 */
export async function loopWorkflow(input: LoopRequestInput, carried?: LoopState): Promise<LoopStatusView> {
  // Parsed with the CLI's schema and defaults (a request may be written by hand for `temporal
  // workflow start`); a malformed one fails the loop at once, naming the field.
  const request: LoopRequest = parseInput('loop request', LoopRequestSchema, input);
  const info = workflowInfo();
  const state = carried ?? initialLoopState(request, info.workflowId, now());
  state.workflowId = info.workflowId;
  const loop = new Loop(state);
  loop.installHandlers();
  loop.publish();
  try {
    if (!info.continuedFromExecutionRunId) {
      await loop.notify('started', `loop ${state.taskName} started (${request.mode}): ${firstLine(request.task)}`);
    }
    const prepared = await named(loopFiles(state).prepareLoop, `prepare loop ${state.taskName} (${request.mode})`, { repo: request.repo, taskName: state.taskName, mode: request.mode, task: request.task, criteria: request.criteria });
    if (prepared.host) state.host ??= prepared.host;
    loop.see(prepared);
    // Hook mode: an interactive Claude Code session runs the sessions, its Stop hook reports them.
    if (isHookLoop(state)) return await loop.finish(await driveFromHook(loop, request));
    for (;;) {
      const limit = limitBeforeSession(state);
      if (limit) return await loop.finish(limit);
      const stop = await loop.runSession();
      if (stop) return await loop.finish(stop);
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof loopWorkflow>(request, state);
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => loop.finish({ status: 'cancelled', reason: 'cancelled' }));
      throw err;
    }
    // A plain Error is a bug in this code: let the workflow task fail and be retried, so a fixed
    // worker picks the loop up where it was. A Temporal failure (an activity that gave up, such as
    // InvalidRepo) fails the loop, and its status says so first.
    if (!(err instanceof TemporalFailure)) throw err;
    state.lastError = err.cause?.message ? `${err.message}: ${err.cause.message}` : err.message;
    await loop.finish({ status: 'failed', reason: state.lastError });
    throw err;
  }
}

class Loop {
  private progressSeq = 0;
  private progressAt = 0;

  /** Rate-limit parks and lost workers in a row (attempts and recent failures live in the state). */
  private counters: StepCounters = freshCounters();

  constructor(readonly state: LoopState) {}

  installHandlers(): void {
    const s = this.state;
    setHandler(loopStatusQuery, () => toLoopStatus(s));
    setHandler(progressSignal, (...args: unknown[]) => {
      const p = signalPayload('progress', args);
      if (!p) return;
      this.progressAt = ++this.progressSeq;
      if (p.value.line) s.lastOutput = p.value.line;
    });
    this.human('retry', loopRetrySignal, loopRetryUpdate, () => validateLoopRetry(s), () => applyLoopRetry(s));
    this.human('override', loopOverrideSignal, loopOverrideUpdate, (o) => validateLoopOverride(s, o.note), (o) => applyLoopOverride(s, o.note));
    // Hook mode: answered at once, so the hook never keeps the session waiting on an activity.
    setHandler(iterationUpdate, (...args: unknown[]) => answerIteration(s, updatePayload('iteration', args), now()), {
      validator: (...args: unknown[]) => {
        updatePayload('iteration', args);
        const why = validateIteration(s);
        if (why) throw new Error(why);
      },
    });
  }

  /** Hook mode: one progress.md entry per stop the hook reported. */
  async recordIteration(it: HookIteration): Promise<void> {
    const r = this.state.request;
    await named(loopFiles(this.state).appendLoopProgress, `record iteration ${it.n}: ${it.decision === 'block' ? 'prompt handed back' : 'session may stop'}`, {
      repo: r.repo,
      taskName: this.state.taskName,
      session: it.n,
      at: it.at,
      mode: r.mode,
      checkboxes: null,
      ...(it.transcriptPath ? { log: it.transcriptPath } : {}),
      summary: iterationSummary(it),
    });
  }

  /**
   * As in the build: the raw payload is parsed with the CLI's schema first; a malformed signal, or one
   * that cannot apply, is logged and dropped; the update's validator refuses it with the reason.
   */
  private human<N extends 'retry' | 'override', A extends unknown[]>(
    name: N,
    signal: SignalDefinition<A>,
    update: UpdateDefinition<LoopStatusView, A>,
    validate: (payload: PayloadOf<N>) => string | undefined,
    apply: (payload: PayloadOf<N>) => void,
  ): void {
    setHumanHandlers(name, signal, update, {
      validate,
      apply,
      answer: async () => {
        await condition(() => this.state.pendingDecision === null && !this.state.retryNow, '30s', timer(`${name}: wait for the loop to act on it (30s)`));
        return toLoopStatus(this.state);
      },
    });
  }

  see(snapshot: LoopSnapshot): void {
    this.state.checkboxes = snapshot.checkboxes;
    this.state.nextItem = snapshot.nextItem;
  }

  /** One session, start to commit. Returns why the loop stops, or null to go on. */
  async runSession(): Promise<Stop | null> {
    const s = this.state;
    const r = s.request;
    const n = beginSession(s);
    const before = await named(loopFiles(s).loopSnapshot, `read the task list before session ${n}`, { repo: r.repo, taskName: s.taskName });
    this.see(before);
    this.setStatus('running', `session ${n}${s.attempts ? ` (attempt ${s.attempts + 1})` : ''}${s.nextItem ? `: ${s.nextItem}` : ''}`);
    const told = s.rejection;
    const prompt = loopPrompt({
      task: r.task,
      taskName: s.taskName,
      mode: r.mode,
      session: n,
      completionPromise: r.completionPromise,
      nextItem: before.nextItem,
      rejection: told,
      ...(r.verify ? { verify: r.verify } : {}),
    });
    const { ending, result: ran } = await this.runAgent(n, prompt);
    // Every attempt costs money, failed ones included.
    addCost(s, ran?.costUsd, ran?.usage);
    const judged = judgeSession(
      ending,
      { ...this.counters, attempts: s.attempts, recentFailures: s.recentFailures ?? [] },
      { subject: `session ${n}`, maxAttempts: r.policy.maxAttempts },
    );
    this.counters = judged.counters;
    sessionJudged(s, judged.counters, judged.record?.error ?? null);
    const next = judged.decision;
    if (next.kind === 'rerun') return null;
    if (next.kind === 'park') {
      // Not the agent's fault: the same session runs again once the limit resets, no attempt spent.
      await this.park(n, next.resetAt);
      return null;
    }
    if (next.kind === 'retry') {
      await this.backoff();
      return null;
    }
    let result: Costed | null = null;
    let accepted: string | null = null;
    if (next.kind === 'escalate') {
      const decision = await this.awaitHuman(next.reason, next.message);
      if (decision.kind === 'retry') {
        this.counters = freshCounters();
        sessionJudged(s, this.counters, null);
        return null;
      }
      accepted = decision.note;
    } else result = ran;

    const after = await named(loopFiles(s).loopSnapshot, `read the task list after session ${n}`, { repo: r.repo, taskName: s.taskName });
    this.see(after);
    let claim = result ? claimedCompletion(r.mode, result.promiseSeen, after.checkboxes) : null;
    let verdict = '';
    if (claim && r.verify) {
      this.setStatus('running', `session ${n}: verifying the completion claim`);
      const v = await named(loopGit(s).verifyLoopCompletion, `verify the completion claim of session ${n}: ${r.verify}`, { repo: r.repo, taskName: s.taskName, session: n, command: r.verify, timeoutMs: r.policy.verifyTimeout });
      if (!v.passed) {
        rejectCompletion(s, claim, n, v.steps.map((x) => x.outputTail).join('\n').trim() || 'verification failed', now());
        verdict = `Completion claimed (${claim}) but \`${r.verify}\` failed: recorded as a false completion.`;
        claim = null;
      } else verdict = `Completion claimed (${claim}) and \`${r.verify}\` passed.`;
    } else if (claim) verdict = `Completion claimed (${claim}).`;

    const summary = result ? sessionSummary(result.lastLine) : sessionSummary(`failed session accepted: ${accepted ?? ''}`);
    const at = now();
    let commit: string | null = null;
    if (r.commitEachSession || r.logFile) {
      const committed = await named(loopGit(s).commitLoopSession, `${r.commitEachSession ? 'commit' : 'log'} session ${n}: ${summary}`, {
        repo: r.repo,
        taskName: s.taskName,
        session: n,
        base: before.head,
        summary,
        commit: r.commitEachSession,
        ...(r.logFile
          ? {
              log: {
                file: r.logFile,
                at,
                timeZone: r.timeZone,
                title: firstLine(r.task),
                whatIBuilt: result?.lastLine ? sessionSummary(result.lastLine, '') : summary,
                keyInsights: (result?.devNotes ?? []).map((d) => `- ${d.category}: ${d.content}`).join('\n'),
              },
            }
          : {}),
      });
      commit = committed.commit;
      if (commit) s.lastCommit = commit;
    }
    await named(loopFiles(s).appendLoopProgress, `record progress of session ${n}`, {
      repo: r.repo,
      taskName: s.taskName,
      session: n,
      at,
      mode: r.mode,
      checkboxes: after.checkboxes,
      summary: [summary, verdict, commit ? `Commit: ${commit}` : '', result ? '' : `Failed session accepted by a person: ${accepted ?? ''}`]
        .filter(Boolean)
        .join('\n\n'),
    });
    const overBudget = result ? sessionOverBudget(s, result.costUsd) : false;
    if (claim) acceptCompletion(s, claim, n, Boolean(r.verify));
    sessionDone(s);
    // A refusal is told to the session after it, once; a new refusal replaces it.
    if (result && s.rejection === told) s.rejection = null;
    this.publish();
    if (claim) return { status: 'completed', reason: `session ${n}: ${claim === 'promise' ? 'completion promise' : 'every box ticked'}${r.verify ? ', verified' : ''}` };
    if (overBudget) return { status: 'budget-exceeded', reason: `session ${n} cost more than its $${r.sessionBudgetUsd ?? 0} budget` };
    return null;
  }

  /** One agent session, raced against the stall timer; a cancelled loop cancels it. */
  private async runAgent(n: number, prompt: string): Promise<Outcome> {
    const s = this.state;
    const r = s.request;
    const policy = r.policy;
    const dir = loopDir(r.repo, s.taskName);
    const end = await runWatchedSession(
      {
        workflowId: s.workflowId,
        label: s.taskName,
        session: n,
        checkpointId: 'loop',
        taskGroupId: 'session',
        worktree: r.repo,
        prompt,
        agent: r.agent,
        progressEveryMs: progressInterval(policy.stallTimeout),
        sessionsDir: `${dir}/sessions`,
        completionPromise: r.completionPromise,
        env: {
          NIGHTSHIFT_LOOP_TASK: s.taskName,
          NIGHTSHIFT_LOOP_DIR: dir,
          NIGHTSHIFT_LOOP_MODE: r.mode,
          NIGHTSHIFT_TASK_LIST: `${dir}/task_list.md`,
          ...(r.sessionBudgetUsd !== undefined ? { NIGHTSHIFT_SESSION_BUDGET_USD: String(r.sessionBudgetUsd) } : {}),
        },
      },
      policy,
      new CancellationScope(),
      () => this.progressAt,
      `session ${n} · loop ${s.taskName} · ${r.agent.kind}${s.attempts ? ` · attempt ${s.attempts + 1}` : ''}`,
      onLoopHost(s),
    );
    if (end.kind === 'done' && end.result.lastLine) s.lastOutput = end.result.lastLine;
    const limits = { stallTimeoutMs: policy.stallTimeout, maxSessionTimeMs: policy.maxSessionTime };
    // Loops start every session from the prompt: there is no agent session to resume.
    return { ending: stepEnding(end, limits, false), result: end.kind === 'done' ? end.result : null };
  }

  /** A usage limit: a durable timer until it resets (at least 5 s); `retry` ends it early. */
  private async park(n: number, resetAt: string | null): Promise<void> {
    const s = this.state;
    const { waitMs, wakeAt } = rateLimitWait(resetAt, s.request.policy.retryInterval, Date.now());
    s.retryNow = false;
    this.setStatus('rate-limited', `session ${n} hit the agent's usage limit; resuming at ${wakeAt}`);
    await this.notify('paused', `loop ${s.taskName} is rate-limited; resuming at ${wakeAt}`);
    await condition(() => s.retryNow, waitMs, timer(usageLimitMarker(wakeAt, `session ${n}`)));
    s.retryNow = false;
  }

  /** The policy's wait between attempts; `retry` cuts it short. */
  private async backoff(): Promise<void> {
    const s = this.state;
    s.retryNow = false;
    this.setStatus('running', `session ${s.current} failed (attempt ${s.attempts}); retrying in ${s.request.policy.retryInterval / 1000}s`);
    await condition(() => s.retryNow, s.request.policy.retryInterval, timer(retryWaitMarker(s.request.policy.retryInterval, s.attempts + 1, s.request.policy.maxAttempts, `session ${s.current}`)));
    s.retryNow = false;
  }

  /** Escalation: tell the person and wait for `retry` (run it again) or `override` (accept it and go on). */
  private async awaitHuman(reason: WaitReason, message: string): Promise<Decision> {
    const s = this.state;
    s.pendingDecision = null;
    await this.notify('escalated', `loop ${s.taskName} needs a decision (${reason}): ${message}`);
    s.waiting = { reason, message, since: now() };
    this.setStatus('awaiting-human', `waiting for: temporal workflow signal --workflow-id ${s.workflowId} --name retry|override`);
    this.publish();
    await condition(() => s.pendingDecision !== null);
    const decision = s.pendingDecision as Decision | null;
    if (!decision) throw ApplicationFailure.nonRetryable('no decision to take', 'InternalError');
    s.pendingDecision = null;
    s.waiting = null;
    this.setStatus('running');
    return decision;
  }

  async finish(stop: Stop): Promise<LoopStatusView> {
    const s = this.state;
    finishLoop(s, stop.status, stop.reason, now());
    this.setStatus(stop.status, stop.reason);
    this.publish();
    if (isHookLoop(s)) {
      // Completed, stopped or cancelled: the session must not be held by a loop that is over.
      await named(loopFiles(s).removeLoopStopHook, `remove the Stop hook from ${s.request.repo}/.claude/settings.local.json`, { repo: s.request.repo, taskName: s.taskName });
    }
    const event = stop.status === 'cancelled' ? 'cancelled' : stop.status === 'failed' ? 'failed' : 'completed';
    await this.notify(event, `loop ${s.taskName} ${stop.status} after ${s.sessions} session(s): ${stop.reason}`);
    return toLoopStatus(s);
  }

  setStatus(status: LoopStatus, detail?: string): void {
    const s = this.state;
    if (s.status !== status) {
      s.status = status;
      upsertSearchAttributes([
        { key: NightshiftStatus, value: status },
        { key: NightshiftWaitReason, value: s.waiting?.reason ?? null },
        { key: NightshiftCostUsd, value: s.costUsd },
      ]);
    }
    s.updatedAt = now();
    const boxes = s.checkboxes ? ` · ${s.checkboxes.done}/${s.checkboxes.total} boxes` : '';
    const limit = s.request.maxSessions ? ` (this run ${s.run.sessions}/${s.request.maxSessions})` : '';
    const unit = isHookLoop(s) ? 'hook mode · iteration' : `${s.request.mode} · session`;
    setCurrentDetails(
      [`**${s.status}** · ${unit} ${s.sessions}${limit}${boxes}`, detail ?? '', s.lastError ? `last error: ${s.lastError.slice(0, 300)}` : '']
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  /** Search attributes for the Web UI list, and the counters `--continue` carries, in the memo. */
  publish(): void {
    const s = this.state;
    upsertSearchAttributes([
      { key: NightshiftLabel, value: s.taskName },
      { key: NightshiftStatus, value: s.status },
      { key: NightshiftAgent, value: s.request.agent.kind },
      { key: NightshiftCostUsd, value: s.costUsd },
    ]);
    upsertMemo({ [LOOP_MEMO]: { request: s.request, status: s.status, counters: countersOf(s), checkboxes: s.checkboxes } });
  }

  async notify(event: Parameters<Activities['notify']>[0]['event'], message: string): Promise<void> {
    await named(files.notify, `notify: ${event}`, { label: this.state.taskName, event, message });
  }
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? text.trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function now(): string {
  return new Date().toISOString();
}
