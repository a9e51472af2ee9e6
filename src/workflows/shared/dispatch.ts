import type { ActivityOptions } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';

/** The longest an eagerly started activity may stay stranded on a worker that died. */
const STRANDED_AT_MOST_MS = 30_000;

/**
 * Every activity's options go through here: eager dispatch only where a lost worker costs at most
 * 30 s. With eager activity execution on (SERVER_DYNAMIC_CONFIG in src/server/serverConfig.ts), an
 * activity scheduled by a workflow task starts at once on the worker that completed that task,
 * without a poll. If that worker dies right after, the activity is noticed by its heartbeat timeout
 * or else only at its start-to-close timeout: sessions, verification and commits heartbeat, queue
 * files and webhooks time out within 30 s; the rest (delivery, reports, takeovers, a loop's files)
 * go through the task queue, where a live worker takes them.
 */
export function dispatched<T extends ActivityOptions>(options: T): T & { allowEagerDispatch: boolean } {
  const heartbeat = msOptionalToNumber(options.heartbeatTimeout);
  const startToClose = msOptionalToNumber(options.startToCloseTimeout);
  const noticed = heartbeat ?? startToClose;
  return { ...options, allowEagerDispatch: noticed !== undefined && noticed <= STRANDED_AT_MOST_MS };
}
