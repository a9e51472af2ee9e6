import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import type { HomeLayout } from '../paths';
import type { NotifyInput } from '../types';

/** Every notification goes to the worker's log and to `NIGHTSHIFT_HOME/notifications.log`. */
export function notify(layout: HomeLayout, input: NotifyInput): void {
  const line = `${new Date().toISOString()} [${input.event}] ${input.label}: ${input.message.replace(/\n/g, ' | ')}\n`;
  const file = layout.notificationsLog();
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, line);
  Context.current().log.info(`nightshift ${input.event}: ${input.message}`, { label: input.label });
}
