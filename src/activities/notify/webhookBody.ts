import { ApplicationFailure } from '@temporalio/common';
import type { NotifyInput } from '../types';

/** `NIGHTSHIFT_WEBHOOK_FORMAT`: the body's shape for the receiving service (default: one body both Slack and Discord accept). */
export const WEBHOOK_FORMATS = ['json', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/**
 * The webhook's JSON body. `slack`: an incoming webhook's `text` with a mrkdwn section block;
 * `discord`: `content` (Discord's limit is 2000 characters); `json`: the notification's fields;
 * unset: `text` and `content` together with the fields, which Slack and Discord both accept.
 */
export function webhookBody(input: NotifyInput, format: string | undefined): Record<string, unknown> {
  const text = `[nightshift] ${input.event}: ${input.message}`;
  switch (format?.trim().toLowerCase() || undefined) {
    case undefined:
      return { text: text.slice(0, 1900), content: text.slice(0, 1900), event: input.event, label: input.label };
    case 'json':
      return { event: input.event, label: input.label, message: input.message, text };
    case 'slack':
      return {
        text: text.slice(0, 3000),
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `*nightshift ${input.event}* · \`${input.label}\`\n${input.message}`.slice(0, 3000) } },
        ],
      };
    case 'discord':
      return { content: text.slice(0, 2000) };
    default:
      throw ApplicationFailure.nonRetryable(`NIGHTSHIFT_WEBHOOK_FORMAT=${format} is not one of ${WEBHOOK_FORMATS.join(', ')} (set on the worker)`, 'WebhookMisconfigured');
  }
}
