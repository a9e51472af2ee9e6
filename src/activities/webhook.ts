import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { NotifyInput } from './types';

export interface WebhookResult {
  sent: boolean;
  status?: number;
}

/**
 * Posts a notification to `NIGHTSHIFT_WEBHOOK_URL` when the worker has one. The body carries the
 * message as `text` (Slack) and `content` (Discord), so either accepts it as is. The URL is read
 * from the worker's environment at call time and never enters workflow history (it is a secret).
 * A failed post throws a retryable failure: the workflow's retry policy decides when to give up.
 */
export async function notifyWebhook(input: NotifyInput, url = process.env.NIGHTSHIFT_WEBHOOK_URL): Promise<WebhookResult> {
  if (!url) return { sent: false };
  const text = `[nightshift] ${input.event}: ${input.message}`.slice(0, 1900);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, content: text, event: input.event, label: input.label }),
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
