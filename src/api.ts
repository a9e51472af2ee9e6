import type { Client } from '@temporalio/client';
import {
  buildWorkflowId,
  buildStatus,
  parseBuildRequest,
  startBuild as startBuildWorkflow,
} from './client/builds';
import { withClient } from './client/connect';
import { loopStatus, parseLoopRequest, startLoop as startLoopWorkflow } from './client/loops';
import { enqueue as enqueueEntry } from './client/queue';
import { cancelBuild, steerBuild } from './client/steer';
import type { LoopRequestInput } from './model/loopRequest';
import type { Pause } from './model/payloads';
import type { BuildRequestInput } from './model/request';
import type { BuildResult } from './workflows/build/build';
import type { LoopStatusView } from './workflows/loop/state';
import type { EnqueueAnswer, EnqueueRequest } from './workflows/queue/messages';
import type { BuildStatusView } from './workflows/build/state';

/**
 * Nightshift for scripts: start builds and loops, queue entries, read status and steer, with the
 * same schemas as the CLI (a bad field is an InvalidDocumentError or InvalidInputError naming it,
 * before anything is sent). Without `client`, each call connects as the CLI does (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE or Temporal's env config) and closes the connection when done.
 *
 *   import { startBuild, getStatus, feedback } from 'nightshift';
 *   const { label } = await startBuild({ label: 'todo', repo: '/src/todo', plan });
 */
export interface ApiOptions {
  /** A connected Temporal client to use instead of connecting for this call. */
  client?: Client;
  /** Task queue of the workers (default NIGHTSHIFT_TASK_QUEUE or `nightshift`). */
  taskQueue?: string;
}

export interface Started {
  label: string;
  workflowId: string;
  runId: string;
}

function using<T>(options: ApiOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  return options.client ? fn(options.client) : withClient(({ client }) => fn(client));
}

function queueOf(options: ApiOptions): { taskQueue?: string } {
  return options.taskQueue ? { taskQueue: options.taskQueue } : {};
}

/** Starts build `build-<label>`: label, repo and plan are required; the rest gets the CLI's defaults. */
export async function startBuild(request: BuildRequestInput, options: ApiOptions = {}): Promise<Started> {
  const parsed = parseBuildRequest(request);
  return using(options, async (client) => {
    const handle = await startBuildWorkflow(client, parsed, queueOf(options));
    return { label: parsed.label, workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  });
}

/** Waits for build `label` to finish; a failed build throws the workflow's failure. */
export function buildResult(label: string, options: ApiOptions = {}): Promise<BuildResult> {
  return using(
    options,
    (client) => client.workflow.getHandle(buildWorkflowId(label)).result() as Promise<BuildResult>,
  );
}

/** The build's status, as `nightshift status LABEL --json` prints it. */
export function getStatus(label: string, options: ApiOptions = {}): Promise<BuildStatusView> {
  return using(options, (client) => buildStatus(client, label));
}

/** Starts loop `loop-<taskName>` (seed 003): taskName, task and repo are required. */
export async function startLoop(request: LoopRequestInput, options: ApiOptions = {}): Promise<Started> {
  const parsed = parseLoopRequest(request);
  return using(options, async (client) => {
    const handle = await startLoopWorkflow(client, parsed, queueOf(options));
    return { label: parsed.taskName, workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  });
}

export function getLoopStatus(taskName: string, options: ApiOptions = {}): Promise<LoopStatusView> {
  return using(options, (client) => loopStatus(client, taskName));
}

/** Adds an entry to queue `queue` (default `default`), starting the queue if it is not running. */
export function enqueue(
  request: EnqueueRequest,
  options: ApiOptions & { queue?: string } = {},
): Promise<EnqueueAnswer> {
  return using(options, (client) =>
    enqueueEntry(client, request, {
      ...(options.queue ? { queue: options.queue } : {}),
      ...queueOf(options),
    }),
  );
}

// ---- steering: each answers with the build's status once it has acted, or throws why it refused ----

export function pause(
  label: string,
  request: Pause = {},
  options: ApiOptions = {},
): Promise<BuildStatusView> {
  return using(options, (client) => steerBuild(client, label, 'pause', request));
}

export function resume(label: string, options: ApiOptions = {}): Promise<BuildStatusView> {
  return using(options, (client) => steerBuild(client, label, 'resume'));
}

export function override(label: string, note: string, options: ApiOptions = {}): Promise<BuildStatusView> {
  return using(options, (client) => steerBuild(client, label, 'override', { note }));
}

export function retry(label: string, options: ApiOptions = {}): Promise<BuildStatusView> {
  return using(options, (client) => steerBuild(client, label, 'retry'));
}

export function skip(label: string, note: string, options: ApiOptions = {}): Promise<BuildStatusView> {
  return using(options, (client) => steerBuild(client, label, 'skip', { note }));
}

export function feedback(label: string, message: string, options: ApiOptions = {}): Promise<BuildStatusView> {
  return using(options, (client) => steerBuild(client, label, 'feedback', { message }));
}

export function cancel(label: string, options: ApiOptions = {}): Promise<void> {
  return using(options, (client) => cancelBuild(client, label));
}

export { buildWorkflowId };
export { EnqueueRefusedError } from './client/queue';
export {
  ConflictError,
  EnvironmentError,
  InvalidDocumentError,
  InvalidInputError,
  NightshiftError,
  NotFoundError,
} from './model/errors';
export { BuildRequestSchema, type BuildRequest, type BuildRequestInput } from './model/request';
export { LoopRequestSchema, type LoopRequest, type LoopRequestInput } from './model/loopRequest';
export {
  MESSAGE_PAYLOADS,
  MAX_TEXT_CHARS,
  type Feedback,
  type Override,
  type Pause,
  type Skip,
} from './model/payloads';
export type { BuildResult, BuildStatusView, EnqueueAnswer, EnqueueRequest, LoopStatusView };
