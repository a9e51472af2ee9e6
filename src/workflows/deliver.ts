import type { DeliverInput } from '../model/delivery';
import { runDelivery } from './buildDelivery';
import type { Delivery } from './state';

/**
 * `nightshift deliver LABEL`: delivers a completed (closed) build again, from the input its
 * `deliveryInput` query gives. Its own small workflow (`deliver-<label>`), so the retry is durable
 * and its result is what `status` shows after the build's own delivery.
 */
export async function deliverWorkflow(input: DeliverInput): Promise<Delivery> {
  return runDelivery(input);
}
