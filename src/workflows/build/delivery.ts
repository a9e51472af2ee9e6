import { ActivityFailure, defineQuery, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { buildSummary, type DeliverInput } from '../../model/delivery';
import { type Activities, now } from './runtime';
import { named } from '../shared/markers';
import type { BuildState, Delivery } from './state';
import { dispatched } from '../shared/dispatch';

/** What `nightshift deliver LABEL` needs to deliver a completed build again (answered by closed builds too). */
export const deliveryInputQuery = defineQuery<DeliverInput | null>('deliveryInput');

/** The delivery of a completed build, from its state; null before it completed. */
export function deliveryInput(state: BuildState): DeliverInput | null {
  if (state.status !== 'completed' || !state.workspace) return null;
  return {
    summary: buildSummary(state),
    worktree: state.workspace.path,
    ...(state.workspace.host ? { host: state.workspace.host } : {}),
    ...(state.request.deliver ? { command: state.request.deliver } : {}),
    remote: state.request.remote ?? 'origin',
    push: state.request.push ?? true,
    workflowId: state.workflowId,
    runId: state.runId,
    namespace: workflowInfo().namespace,
  };
}

/** The delivery activity and its failure as a delivery result: it never fails the build. */
export async function runDelivery(input: DeliverInput, route: { taskQueue?: string; scheduleToStartTimeout?: number } = {}, heartbeatTimeout: Duration = '30 seconds'): Promise<Delivery> {
  const act = proxyActivities<Activities>(dispatched({
    startToCloseTimeout: '10 minutes',
    // The activity heartbeats: a worker lost while delivering is noticed now, not after 10 minutes.
    heartbeatTimeout,
    retry: { maximumAttempts: 3, initialInterval: '5s', maximumInterval: '1 minute' },
    ...route,
  }));
  try {
    const how = input.command ? `with ${input.command.split(' ')[0]}` : 'as a pull request';
    return await named(act.deliverBuild, `deliver nightshift/${input.summary.label} ${how}`, input);
  } catch (err) {
    const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : String((err as Error).message ?? err);
    return { state: 'failed', via: input.command ? 'command' : 'pr', url: null, error: cause, at: now() };
  }
}

/**
 * A completed build is delivered (a pull request, or the delivery command) before the completion
 * notification, which carries its URL. Builds recorded before delivery existed replay without it.
 */
export async function deliverCompleted(state: BuildState, route?: () => { taskQueue?: string; scheduleToStartTimeout?: number }, lean = false): Promise<void> {
  // A build with lean history began after delivery existed: it needs no marker to say so.
  if (!lean && !patched('nightshift-delivery')) return;
  const input = deliveryInput(state);
  if (!input) return;
  state.delivery = await runDelivery(input, route?.() ?? {}, state.request.policy.heartbeatTimeout);
}
