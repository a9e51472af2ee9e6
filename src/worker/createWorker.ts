import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { killAllGroupsNow } from '../activities/session/process';
import { TASK_QUEUE } from '../config/connection';
import type { SandboxMode } from '../agents/sandbox';
import { fileSinks } from './sinks';
import { type WorkerTuning, workerTuning } from './tuning';

export interface NightshiftWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  home: string;
  taskQueue?: string;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxCachedWorkflows?: number;
  /** Variables for every agent on this worker (its NIGHTSHIFT_AGENT_ENV_FILE); never sent to Temporal. */
  agentEnv?: Record<string, string>;
  /** The agent sandbox for requests that name none; default NIGHTSHIFT_SANDBOX, else auto (docs/security.md). */
  sandbox?: SandboxMode;
  /** This worker's host (NIGHTSHIFT_HOST): workspaces it prepares are its own (src/worker/host.ts). */
  host?: string;
  /** Cache size and slots (src/worker/tuning.ts); default: measured defaults and NIGHTSHIFT_MAX_* variables. */
  tuning?: WorkerTuning;
}

/** A worker for Nightshift's workflows and activities on one task queue. */
export async function createNightshiftWorker(options: NightshiftWorkerOptions): Promise<Worker> {
  process.once('exit', killAllGroupsNow);
  const tuning = options.tuning ?? workerTuning();
  const cache = options.maxCachedWorkflows ?? tuning.maxCachedWorkflows;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      home: options.home,
      ...(options.agentEnv ? { agentEnv: options.agentEnv } : {}),
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
      ...(options.host ? { host: options.host } : {}),
    }),
    // The files people read, written after the workflow task that changed them (src/workflows/build/fileSink.ts).
    sinks: fileSinks(options.home),
    // Heartbeats carry cancellation to a running session: flush them often so `pause --now` is quick.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    // On SIGINT/SIGTERM running sessions are cancelled (their process groups killed) before exit, and
    // handed over: another worker runs them again at once (measured by `npm run bench`: worker loss).
    shutdownGraceTime: '500ms',
    // A worker killed outright leaves its builds' next workflow task on its own sticky queue: move it
    // to the shared queue after 3 s instead of 10, so another worker takes the lost session over sooner.
    stickyQueueScheduleToStartTimeout: '3s',
    // docs/architecture.md "Worker tuning": from 50 builds on one worker (npm run bench:scale).
    maxCachedWorkflows: cache,
    // The SDK allows no more tasks at once than the cache holds (a cache of 0 replays every task).
    maxConcurrentWorkflowTaskExecutions: cache === 0 ? tuning.maxConcurrentWorkflowTaskExecutions : Math.max(2, Math.min(tuning.maxConcurrentWorkflowTaskExecutions, cache)),
    maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskPolls: tuning.maxTaskPollers,
    maxConcurrentActivityTaskPolls: tuning.maxTaskPollers,
  });
}

export { NativeConnection };
