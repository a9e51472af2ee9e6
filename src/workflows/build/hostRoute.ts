/**
 * Where a build's workspace activities run: on the queue of the host that owns its workspace
 * (`<task queue>@<host>`), with a bound on how long they may wait there for that host to take them.
 * A host that does not take one in time is gone, and another host takes the build over
 * (docs/architecture.md, "Hosts, queues and failover"). Workflow-safe: no Node built-ins.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import { hostQueue } from '../../model/hosts';

/** Who owns a workspace: the host that prepared it, and which takeover that was (1 = the first). */
export interface WorkspaceOwner {
  host: string;
  epoch: number;
}

/** Activity options that send a workspace activity to its owner, or nothing for a build without one. */
export function hostRoute(sharedQueue: string, owner: WorkspaceOwner | null | undefined, hostTimeoutMs: number): { taskQueue?: string; scheduleToStartTimeout?: number } {
  if (!owner) return {};
  return { taskQueue: hostQueue(sharedQueue, owner.host), scheduleToStartTimeout: hostTimeoutMs };
}

/**
 * True when a workspace activity failed because its host is gone: nobody took it from the host's
 * queue in time (schedule-to-start timeout), or the host found its worktree belongs to a newer owner.
 */
export function hostGone(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) return cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
  return cause instanceof ApplicationFailure && cause.type === 'StaleWorkspace';
}

/** The owner a workspace activity checks its worktree against, when the build's workspace has one. */
export function ownerOf(label: string, ws: { host?: string; epoch?: number } | null | undefined): { label: string; host: string; epoch: number } | undefined {
  return ws?.host ? { label, host: ws.host, epoch: ws.epoch ?? 1 } : undefined;
}

/** The default `hostTimeout` (2 minutes), for state carried from a version without it. */
export const DEFAULT_HOST_TIMEOUT_MS = 2 * 60_000;

/** Runs every promise to its end, then rejects with the first failure: no step is left running behind a failed one. */
export async function settleAll(promises: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
