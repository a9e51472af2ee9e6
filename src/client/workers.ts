import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { taskQueue as configuredTaskQueue } from '../config/connection';

/** A poller counts as a live worker if it polled this recently (an idle worker's long poll lasts about a minute). */
const LIVE_WITHIN_MS = 2 * 60_000;

export interface Poller {
  identity: string;
  lastAccess: string | null;
  /** Which task types it polls: workflow tasks, activity tasks (agent sessions), or both. */
  kinds: ('workflow' | 'activity')[];
}

/**
 * The workers polling a task queue, from the server's DescribeTaskQueue (workflow and activity
 * pollers, merged by identity). Pollers the server remembers but that stopped polling are left out.
 */
export async function pollersOf(client: Client, namespace: string, queue = configuredTaskQueue(), now = Date.now()): Promise<Poller[]> {
  const byIdentity = new Map<string, Poller>();
  const types = [
    ['workflow', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
    ['activity', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
  ] as const;
  for (const [kind, taskQueueType] of types) {
    const answer = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType,
    });
    for (const p of answer.pollers ?? []) {
      const at = p.lastAccessTime ? tsToMs(p.lastAccessTime) : undefined;
      if (at !== undefined && now - at > LIVE_WITHIN_MS) continue;
      const identity = p.identity || '(unnamed)';
      const known = byIdentity.get(identity) ?? { identity, lastAccess: null, kinds: [] };
      if (!known.kinds.includes(kind)) known.kinds.push(kind);
      if (at !== undefined && (!known.lastAccess || at > Date.parse(known.lastAccess))) known.lastAccess = new Date(at).toISOString();
      byIdentity.set(identity, known);
    }
  }
  return [...byIdentity.values()].sort((a, b) => a.identity.localeCompare(b.identity));
}

/**
 * `start` and `add`: a build with no worker polling waits silently forever, so say so (on stderr, so
 * `--json` output stays clean). A failure to ask is not worth failing the command over.
 */
export async function warnIfNoWorker(client: Client, namespace: string, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const queue = configuredTaskQueue();
  try {
    if ((await pollersOf(client, namespace, queue)).length > 0) return;
  } catch {
    return;
  }
  write(`warning: no worker is polling task queue "${queue}": nothing runs until one does. Start one with \`nightshift worker\` (check with \`nightshift doctor\`).`);
}
