import type { ActivityOptions } from '@temporalio/common';

/**
 * Every activity's options go through here: eager dispatch only for activities that heartbeat.
 * With eager activity execution on (SERVER_DYNAMIC_CONFIG in src/server/serverConfig.ts), an
 * activity scheduled by a workflow task starts at once on the worker that completed that task,
 * without a poll. If that worker dies right after, only a heartbeat timeout notices it in seconds;
 * the others (delivery, files, webhooks, reports, takeovers) would wait out their start-to-close
 * timeout, so they go through the task queue, where a live worker takes them.
 */
export function dispatched<T extends ActivityOptions>(options: T): T & { allowEagerDispatch: boolean } {
  return { ...options, allowEagerDispatch: options.heartbeatTimeout !== undefined };
}
