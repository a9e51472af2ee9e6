import { workflowInfo } from '@temporalio/workflow';
import type { DeliverInput } from '../../model/delivery';
import { runDelivery } from '../build/delivery';
import { DEFAULT_HOST_TIMEOUT_MS, hostRoute } from '../build/hostRoute';
import type { Delivery } from '../build/state';

/**
 * `nightshift deliver LABEL`: delivers a completed (closed) build again, from the input its
 * `deliveryInput` query gives. Its own small workflow (`deliver-<label>`), so the retry is durable
 * and its result is what `status` shows after the build's own delivery.
 */
export async function deliverWorkflow(input: DeliverInput): Promise<Delivery> {
  // On the host that owns the worktree, when the build had one (a host that is gone: a failed delivery, said so).
  const owner = input.host ? { label: input.summary.label, host: input.host, epoch: 1 } : undefined;
  return runDelivery(input, hostRoute(workflowInfo().taskQueue, owner, DEFAULT_HOST_TIMEOUT_MS));
}
