import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { type ChildOutcome, outcomeOfFailure, outcomeOfResult } from '../../workflows/queue/state';

export interface WatchInput {
  workflowId: string;
  /** The child's first run id: the watch follows its continue-as-new chain, not a later re-run. */
  runId: string | null;
}

/**
 * Waits for a build the queue started in an earlier run (before continue-as-new, the queue loses its
 * child handles; the children outlive it by design). Long-polls the result, heartbeating so a lost
 * worker is noticed and the watch moves to another, and returns how the build ended. Read-only, so
 * retrying it is always safe.
 */
export async function watchBuild(input: WatchInput): Promise<ChildOutcome> {
  const ctx = Context.current();
  const handle = ctx.client.workflow.getHandle(input.workflowId, input.runId ?? undefined);
  const beat = setInterval(() => ctx.heartbeat(), 5_000);
  ctx.heartbeat();
  try {
    return outcomeOfResult(await Promise.race([handle.result(), ctx.cancelled]));
  } catch (err) {
    if (err instanceof WorkflowFailedError) return outcomeOfFailure(err.cause, err.message);
    if (err instanceof WorkflowNotFoundError) return { kind: 'failed', error: `${input.workflowId} no longer exists` };
    throw err;
  } finally {
    clearInterval(beat);
  }
}
