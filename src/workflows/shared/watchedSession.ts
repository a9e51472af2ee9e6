import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  TimeoutFailure,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { SessionInput, SessionResult } from '../../activities/types';
import type { Policy } from '../../model/request';
import type { Activities } from '../build/runtime';
import { named, sessionMarker, timer, wait } from './markers';
import { hostGone } from '../build/hostRoute';
import { dispatched } from './dispatch';

/** How an agent session ended, before a build or a loop decides what that means. */
export type SessionEnd =
  | { kind: 'done'; result: SessionResult }
  | { kind: 'stalled' }
  | { kind: 'interrupted' }
  /** Its worker shut down gracefully (SIGTERM) and gave the session back: run it again elsewhere. */
  | { kind: 'handed-over' }
  /** The activity failed: `timeout` says whether the worker went silent or the session ran too long. */
  | { kind: 'failed'; message: string; timeout: 'heartbeat' | 'other' | null };

/**
 * One agent session activity raced against the stall timer, shared by builds and loops. `scope` is
 * the caller's, so `pause --now`, `skip` and the timer can cancel it; `progress` returns a value that
 * changes whenever the agent reports output. Cancellation of the whole workflow is rethrown.
 */
export async function runWatchedSession(
  input: SessionInput,
  policy: Policy,
  scope: CancellationScope,
  progress: () => unknown,
  marker = sessionMarker({ session: input.session, checkpoint: input.checkpointId, group: input.taskGroupId, agent: input.agent.kind, resume: Boolean(input.resumeSessionId) }),
  /** The owning host's queue and how long to wait for it (src/workflows/build/hostRoute.ts); default: the shared queue. */
  route: { taskQueue?: string; scheduleToStartTimeout?: number } = {},
): Promise<SessionEnd> {
  const agent = proxyActivities<Activities>(dispatched({
    ...route,
    startToCloseTimeout: policy.maxSessionTime,
    heartbeatTimeout: policy.heartbeatTimeout,
    // Attempts are counted by the workflow, so exits, stalls and lost workers share one count.
    retry: { maximumAttempts: 1 },
    // Pause-now, skip, stall and cancel go on only once the agent's process group is dead.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  }));
  let done = false;
  let stalled = false;
  // The stall timer ends with the session (`done`), never by cancellation: a cancelled workflow
  // must not leave it rejecting with nobody listening.
  const stallWatch = CancellationScope.nonCancellable(async () => {
    while (!done) {
      const seen = progress();
      const moved = await condition(() => done || progress() !== seen, policy.stallTimeout, timer(`stall timer ${wait(policy.stallTimeout)} · session ${input.session}`));
      if (!moved && !done) {
        stalled = true;
        scope.cancel();
        return;
      }
    }
  });
  try {
    return { kind: 'done', result: await scope.run(() => named(agent.runAgentSession, marker, input)) };
  } catch (err) {
    if (isCancellation(err) || (err instanceof ActivityFailure && isCancellation(err.cause))) {
      if (CancellationScope.current().consideredCancelled) throw err;
      return stalled ? { kind: 'stalled' } : { kind: 'interrupted' };
    }
    // A host that never took the session (or whose worktree is stale) is the caller's to handle: a takeover.
    if (hostGone(err)) throw err;
    if (err instanceof ActivityFailure) {
      const cause = err.cause;
      if (cause instanceof ApplicationFailure && cause.type === 'WorkerShutdown') return { kind: 'handed-over' };
      const timeout = cause instanceof TimeoutFailure ? (cause.timeoutType === TimeoutType.HEARTBEAT ? 'heartbeat' : 'other') : null;
      return { kind: 'failed', message: cause?.message ?? err.message, timeout };
    }
    throw err;
  } finally {
    done = true;
    await stallWatch;
  }
}
