import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ConflictError } from '../model/errors';
import { deliveryInputQuery } from '../workflows/build/delivery';
import { deliverWorkflow } from '../workflows/deliver/deliver';
import type { BuildStatusView, Delivery } from '../workflows/build/state';
import { buildStatus, buildWorkflowId } from './builds';

export function deliverWorkflowId(label: string): string {
  return `deliver-${label}`;
}

/** The result of the last `nightshift deliver LABEL`, when it finished. */
async function redelivery(client: Client, label: string): Promise<Delivery | null> {
  const handle = client.workflow.getHandle(deliverWorkflowId(label));
  try {
    const d = await handle.describe();
    if (d.status.name !== 'COMPLETED') return null;
    return (await handle.result()) as Delivery;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /not found/i.test((err as Error).message)) return null;
    throw err;
  }
}

/** The build's view with its latest delivery: a later `nightshift deliver` replaces the build's own. */
export async function withLatestDelivery(client: Client, view: BuildStatusView): Promise<BuildStatusView> {
  if (view.status !== 'completed') return view;
  const again = await redelivery(client, view.label);
  if (!again || (view.delivery && view.delivery.at > again.at)) return view;
  return { ...view, delivery: again };
}

/**
 * `nightshift deliver LABEL`: the completed build's delivery input (its `deliveryInput` query, which a
 * closed build answers too) run again by the `deliver-<label>` workflow on the build's task queue.
 */
export async function deliverAgain(client: Client, label: string): Promise<Delivery> {
  const view = await buildStatus(client, label);
  if (view.status !== 'completed') {
    throw new ConflictError(`build ${label} is ${view.status}; only a completed build is delivered`, `Watch it with \`nightshift status ${label}\`.`);
  }
  const build = client.workflow.getHandle(buildWorkflowId(label));
  const input = await build.query(deliveryInputQuery);
  if (!input) throw new ConflictError(`build ${label} has nothing to deliver`);
  const { taskQueue } = await build.describe();
  return client.workflow.execute(deliverWorkflow, { workflowId: deliverWorkflowId(label), taskQueue, args: [input] });
}
