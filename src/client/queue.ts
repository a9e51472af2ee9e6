import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { taskQueue } from '../config/connection';
import { ConflictError, NightshiftError, NotFoundError } from '../model/errors';
import { queueWorkflow } from '../workflows/queue/queue';
import { checkedPayload } from './payloads';
import {
  DEFAULT_QUEUE,
  ENQUEUE_REFUSED,
  type EnqueueAnswer,
  type EnqueueRequest,
  enqueueUpdate,
  queueQuery,
  queueWorkflowId,
  setPolicyUpdate,
} from '../workflows/queue/messages';
import type { QueuePolicyInput, QueueView } from '../workflows/queue/state';

/** `enqueue` refused the entry; `reasons` holds every one of them. Exit code 2, like bad input. */
export class EnqueueRefusedError extends NightshiftError {
  constructor(
    readonly label: string,
    readonly reasons: string[],
  ) {
    super(
      `"${label}" was not queued:\n${reasons.map((r) => `  - ${r}`).join('\n')}`,
      'refused',
      'Fix the entry and add it again; nothing was queued.',
      2,
    );
  }
}

export interface QueueTarget {
  /** Queue name (default `default`): the workflow `queue-<name>`. */
  queue?: string;
  /** Task queue of the workers (default NIGHTSHIFT_TASK_QUEUE or `nightshift`). */
  taskQueue?: string;
}

function startOperation(target: QueueTarget) {
  const name = target.queue ?? DEFAULT_QUEUE;
  return new WithStartWorkflowOperation(queueWorkflow, {
    workflowId: queueWorkflowId(name),
    taskQueue: target.taskQueue ?? taskQueue(),
    // A new queue reads the off-hours window in this machine's zone; `nightshift queue policy --tz` changes it.
    args: [{ name, policy: { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' } }],
    // The queue is one long-lived entity: the first caller starts it, everyone else talks to it.
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Nightshift build queue "${name}"`,
  });
}

function reasonsOf(err: WorkflowUpdateFailedError): string[] {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type === ENQUEUE_REFUSED && Array.isArray(cause.details?.[0])) {
    return cause.details[0] as string[];
  }
  return (cause?.message ?? err.message).split('\n');
}

/** Adds an entry to the queue, starting the queue if it is not running (update-with-start). */
export async function enqueue(client: Client, request: EnqueueRequest, target: QueueTarget = {}): Promise<EnqueueAnswer> {
  checkedPayload('enqueue', request);
  try {
    return await client.workflow.executeUpdateWithStart(enqueueUpdate, { args: [request], startWorkflowOperation: startOperation(target) });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new EnqueueRefusedError(String(request.entry.label ?? request.entry.name), reasonsOf(err));
    throw err;
  }
}

/** Changes the queue's policy, starting the queue if needed so a policy can be set before any add. */
export async function setQueuePolicy(client: Client, patch: QueuePolicyInput, target: QueueTarget = {}): Promise<QueueView> {
  checkedPayload('setPolicy', patch);
  try {
    return await client.workflow.executeUpdateWithStart(setPolicyUpdate, { args: [patch], startWorkflowOperation: startOperation(target) });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new ConflictError(`setPolicy refused: ${reasonsOf(err).join('; ')}`, 'See `nightshift queue policy --help`.');
    throw err;
  }
}

function noQueue(name: string): NotFoundError {
  return new NotFoundError(`no running queue "${name}"`, 'Add an entry with `nightshift add ...` (it starts the queue), or pass --queue NAME.');
}

export async function queueView(client: Client, name = DEFAULT_QUEUE): Promise<QueueView> {
  try {
    return await client.workflow.getHandle(queueWorkflowId(name)).query(queueQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /not found/i.test((err as Error).message)) throw noQueue(name);
    throw err;
  }
}

/** The queue's view, or null when the queue has never been started. */
export async function queueViewIfRunning(client: Client, name = DEFAULT_QUEUE): Promise<QueueView | null> {
  try {
    return await queueView(client, name);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** Sends one of the person's verbs (approve, remove, fail) and returns the queue after it acted. */
export async function queueVerb<A>(client: Client, name: string, update: UpdateDefinition<QueueView, [A]>, arg: A): Promise<QueueView> {
  checkedPayload(update.name as 'approve' | 'remove' | 'fail', arg);
  try {
    return await client.workflow.getHandle(queueWorkflowId(name)).executeUpdate(update, { args: [arg] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new ConflictError(`${update.name} refused: ${reasonsOf(err).join('; ')}`, 'See `nightshift status --queue`.');
    if (err instanceof WorkflowNotFoundError || /not found|already completed/i.test((err as Error).message)) throw noQueue(name);
    throw err;
  }
}
