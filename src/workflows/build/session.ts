import {
  CancellationScope,
  setCurrentDetails,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { type Checkpoint, type TaskGroup } from '../../model/plan';
import { buildPrompt } from '../../model/prompt';
import { RESUMABLE_AGENTS } from '../../model/request';
import type { SessionResult } from '../../activities/types';
import { addUsage } from '../../agents/types';
import { BuildRuntime } from './runtime';
import { type StepEnding, stepEnding } from '../shared/stepPolicy';
import { runWatchedSession } from '../shared/watchedSession';
import { DEFAULT_HOST_TIMEOUT_MS, hostRoute, ownerOf } from './hostRoute';
import { sessionMarker } from '../shared/markers';
import { type CheckpointProgress, takeFeedback } from './state';

/** How a session ended (for the step policy) and, when the agent ran to an end, its result. */
export interface SessionOutcome {
  ending: StepEnding;
  result: SessionResult | null;
}

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

/** One agent session of a build: the activity, raced against the stall timer; the step policy says what its end means. */
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
    const resume = this.agentSession(agentKey(cp.id, key));
    const scope = new CancellationScope();
    this.running.set(key, scope);
    this.progressAt.set(session, this.progressSeq);
    this.touch();
    setCurrentDetails(this.details(`session ${session}: checkpoint ${cp.id}, task group ${group.id}`));
    // A status changed since the last record (after a retry wait or a usage limit) is in the list before the agent starts.
    this.flushAttributes();
    const owner = ownerOf(s.label, s.workspace);
    const route = hostRoute(workflowInfo().taskQueue, owner, policy.hostTimeout ?? DEFAULT_HOST_TIMEOUT_MS);
    try {
      const end = await runWatchedSession(
        {
          workflowId: s.workflowId,
          label: s.label,
          session,
          checkpointId: cp.id,
          taskGroupId: key,
          worktree: this.worktree(),
          ...(owner ? { owner } : {}),
          prompt,
          agent: s.request.agent,
          progressEveryMs: progressInterval(policy.stallTimeout),
          ...resume,
          ...(policy.sessionBudgetUsd ? { maxBudgetUsd: policy.sessionBudgetUsd } : {}),
        },
        policy,
        scope,
        () => this.progressAt.get(session),
        sessionMarker({ session, checkpoint: cp.id, group: group.id, agent: s.request.agent.kind, resume: resume.resumeSessionId !== undefined, fixing: failingVerification !== undefined }),
        route,
      );
      if (end.kind === 'done') this.absorb(key, cp.id, end.result);
      const limits = { stallTimeoutMs: policy.stallTimeout, maxSessionTimeMs: policy.maxSessionTime };
      return { ending: stepEnding(end, limits, resume.resumeSessionId !== undefined), result: end.kind === 'done' ? end.result : null };
    } finally {
      this.running.delete(key);
      this.progressAt.delete(session);
    }
  }

  /** What every finished session leaves behind, failed or not: its cost, last line and agent session id. */
  private absorb(key: string, checkpointId: string, result: SessionResult): void {
    const s = this.state;
    if (result.lastLine) s.lastOutput = result.lastLine;
    s.spentUsd += result.costUsd ?? 0;
    if (result.usage) s.tokens = addUsage(s.tokens, result.usage);
    if (result.agentSessionId && RESUMABLE_AGENTS.includes(s.request.agent.kind)) s.agentSessions[agentKey(checkpointId, key)] = result.agentSessionId;
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
