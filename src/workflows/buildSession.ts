import {
  CancellationScope,
  setCurrentDetails,
  uuid4,
} from '@temporalio/workflow';
import { isStuck } from '../agents/classify';
import { type Checkpoint, type TaskGroup } from '../model/plan';
import { buildPrompt } from '../model/prompt';
import { RESUMABLE_AGENTS } from '../model/request';
import type { SessionResult } from '../activities/types';
import { BuildRuntime } from './buildRuntime';
import { runWatchedSession } from './watchedSession';
import { type BuildState, type CheckpointProgress, takeFeedback, type WaitReason } from './state';

export type FailedOutcome = BuildState['attempts'][number]['outcome'];
export type SessionOutcome =
  | { kind: 'ok'; result: SessionResult }
  | { kind: 'failed'; outcome: FailedOutcome; error: string; resetAt?: string | null }
  | { kind: 'interrupted' };

/** Failure classes that no retry will fix: the person decides at once. */
export const ESCALATE_AT_ONCE: Partial<Record<FailedOutcome, WaitReason>> = {
  'budget-exceeded': 'budget-exceeded',
  'permission-blocked': 'permission-blocked',
  stuck: 'stuck',
  auth: 'auth',
};

/** The same last line this many failed sessions in a row means the agent is going in circles. */
export const STUCK_REPEATS = 3;

/**
 * Progress signals land in history, so they are throttled: often enough that the stall timer never
 * fires on an agent that is talking (8 per stall timeout), never more than once a second, and at
 * least every 15 s so `status` stays fresh.
 */
export function progressInterval(stallTimeoutMs: number): number {
  return Math.max(1000, Math.min(15_000, Math.floor(stallTimeoutMs / 8)));
}

/** Agent sessions belong to a task group of a checkpoint: ids repeat across checkpoints. */
export function agentKey(checkpointId: string, groupId: string): string {
  return `${checkpointId}/${groupId}`;
}

/** One agent session of a build: the activity, raced against the stall timer, and what its end means. */
export abstract class BuildSessions extends BuildRuntime {
  /** One agent session, raced against the stall timer; cancelled by `pause {now}` or `skip`. */
  protected async runSession(
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
    const scope = new CancellationScope();
    this.running.set(key, scope);
    this.progressAt.set(session, this.progressSeq);
    this.touch();
    setCurrentDetails(this.details(`session ${session}: checkpoint ${cp.id}, task group ${group.id}`));
    try {
      const end = await runWatchedSession(
        {
          workflowId: s.workflowId,
          label: s.label,
          session,
          checkpointId: cp.id,
          taskGroupId: key,
          worktree: this.worktree(),
          prompt,
          agent: s.request.agent,
          progressEveryMs: progressInterval(policy.stallTimeout),
          ...this.agentSession(agentKey(cp.id, key)),
          ...(policy.sessionBudgetUsd ? { maxBudgetUsd: policy.sessionBudgetUsd } : {}),
        },
        policy,
        scope,
        () => this.progressAt.get(session),
      );
      if (end.kind === 'interrupted') return end;
      if (end.kind === 'stalled') return { kind: 'failed', outcome: 'stalled', error: `no output for ${policy.stallTimeout / 1000}s` };
      if (end.kind === 'failed') {
        if (end.timeout === 'heartbeat') {
          return { kind: 'failed', outcome: 'worker-lost', error: 'the worker running the session stopped answering (no heartbeat)' };
        }
        if (end.timeout === 'other') {
          return { kind: 'failed', outcome: 'failed', error: `the session ran longer than --max-session-time (${policy.maxSessionTime / 1000}s)` };
        }
        return { kind: 'failed', outcome: 'failed', error: end.message };
      }
      return this.judge(key, cp.id, end.result);
    } finally {
      this.running.delete(key);
      this.progressAt.delete(session);
    }
  }

  /** What a finished session means: success, a failure class, or an agent going in circles. */
  private judge(key: string, checkpointId: string, result: SessionResult): SessionOutcome {
    const s = this.state;
    if (result.lastLine) s.lastOutput = result.lastLine;
    s.spentUsd += result.costUsd ?? 0;
    if (result.agentSessionId && RESUMABLE_AGENTS.includes(s.request.agent.kind)) s.agentSessions[agentKey(checkpointId, key)] = result.agentSessionId;
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
  }

  /** A first attempt gets a fresh agent session id (claude); a retry resumes the one it had. */
  protected agentSession(key: string): { agentSessionId?: string; resumeSessionId?: string } {
    const s = this.state;
    if (!RESUMABLE_AGENTS.includes(s.request.agent.kind)) return {};
    const known = s.agentSessions[key];
    if (known) return { resumeSessionId: known };
    return s.request.agent.kind === 'claude' ? { agentSessionId: uuid4() } : {};
  }
}
