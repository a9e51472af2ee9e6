import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { NotifyInput } from '../types';
import { webhookBody } from './webhookBody';

export interface WebhookResult {
  sent: boolean;
  status?: number;
}

/** Whether this worker posts notifications (NIGHTSHIFT_WEBHOOK_URL is set). */
export function webhookConfigured(): boolean {
  return Boolean(process.env.NIGHTSHIFT_WEBHOOK_URL);
}

/**
 * Posts a notification to `NIGHTSHIFT_WEBHOOK_URL` when the worker has one, its body shaped by
 * `NIGHTSHIFT_WEBHOOK_FORMAT` (webhookBody.ts). The URL is read
 * from the worker's environment at call time and never enters workflow history (it is a secret).
 * A failed post throws a retryable failure: the workflow's retry policy decides when to give up.
 */
export async function notifyWebhook(input: NotifyInput, url = process.env.NIGHTSHIFT_WEBHOOK_URL, format = process.env.NIGHTSHIFT_WEBHOOK_FORMAT): Promise<WebhookResult> {
  if (!url) return { sent: false };
  const body = webhookBody(input, format);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw ApplicationFailure.retryable(`webhook post failed: ${(err as Error).message}`, 'WebhookUnreachable');
  }
  await response.body?.cancel();
  if (!response.ok) {
    // 4xx other than rate limiting will not improve on retry.
    const retryable = response.status >= 500 || response.status === 429;
    const message = `webhook answered ${response.status} ${response.statusText}`;
    if (!retryable) throw ApplicationFailure.nonRetryable(message, 'WebhookRejected');
    throw ApplicationFailure.retryable(message, 'WebhookUnavailable');
  }
  Context.current().log.debug('webhook sent', { label: input.label, event: input.event });
  return { sent: true, status: response.status };
}
