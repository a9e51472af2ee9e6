import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { QueueEntryInput } from '../../model/queueEntry';
import type { AgentSpec, Policy } from '../../model/request';
import type { QueuePolicyInput, QueueView } from './state';

/**
 * Every message of a build queue, defined once for the workflow, the CLI and the tests. Each verb a
 * person uses exists as an update (the CLI gets an answer, or every reason it was refused) and as a
 * signal of the same name (`temporal workflow signal --workflow-id queue-default --name approve`).
 */

/** What `nightshift add` sends: the entry, and how to run it once it is admitted. */
export interface EnqueueRequest {
  entry: QueueEntryInput;
  agent?: Partial<AgentSpec>;
  /** The build's failure handling (attempts per step, stall timeout...); the queue's retries are its own. */
  policy?: Partial<Record<keyof Policy, number | string>>;
  baseRef?: string;
  /** Plan entries: the repository's setup commands and the delivery command (`.nightshift/config.json`, `--deliver`). */
  setup?: string[];
  deliver?: string;
  /** Plan entries: `--gate checkpoint` (wait for `resume` after each checkpoint's commit). */
  gate?: 'checkpoint';
  /** Plan entries: `--remote NAME` and `--no-push` (where each checkpoint commit is pushed). */
  remote?: string;
  push?: boolean;
  /** Loop entries: stop after this many sessions (unlimited when absent, as in seed 003). */
  maxSessions?: number;
}

export interface EnqueueAnswer {
  label: string;
  /** 1-based place among the waiting entries; 0 when it started building at once. */
  position: number;
  building: boolean;
  /** The child's workflow id when building (`build-<label>` or `loop-<label>`). */
  workflowId: string | null;
  /** Why it waits (empty when building). */
  reasons: string[];
}

export interface LabelRef {
  label: string;
}
export interface FailRequest {
  label: string;
  reason?: string;
}

/** The failure type an `enqueue` refusal carries; its details are `[reasons: string[]]`. */
export const ENQUEUE_REFUSED = 'EnqueueRefused';

export const enqueueUpdate = defineUpdate<EnqueueAnswer, [EnqueueRequest]>('enqueue');
export const approveUpdate = defineUpdate<QueueView, [LabelRef]>('approve');
export const removeUpdate = defineUpdate<QueueView, [LabelRef]>('remove');
export const failUpdate = defineUpdate<QueueView, [FailRequest]>('fail');
export const setPolicyUpdate = defineUpdate<QueueView, [QueuePolicyInput]>('setPolicy');

export const approveSignal = defineSignal<[LabelRef]>('approve');
export const removeSignal = defineSignal<[LabelRef]>('remove');
export const failSignal = defineSignal<[FailRequest]>('fail');
export const setPolicySignal = defineSignal<[QueuePolicyInput]>('setPolicy');

export const queueQuery = defineQuery<QueueView>('queue');

export const DEFAULT_QUEUE = 'default';

export function queueWorkflowId(name: string): string {
  return `queue-${name}`;
}
