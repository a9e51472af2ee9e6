import { z } from 'zod';
import { InvalidInputError } from '../model/errors';

/**
 * How much one `nightshift worker` process takes on at once. The defaults come from `npm run
 * bench:scale` (50 builds on one worker of a 2-core machine; docs/architecture.md "Worker tuning");
 * each can be overridden by an environment variable for a bigger or smaller box.
 */
export interface WorkerTuning {
  /** Workflows kept in memory (sticky cache): more than the builds, loops and queues running at once, so none replays its history for each task. */
  maxCachedWorkflows: number;
  /** Workflow tasks processed at once: CPU-bound, so a few per core. */
  maxConcurrentWorkflowTaskExecutions: number;
  /** Activities at once on each of the worker's two queues: a running agent session holds one for its whole length. */
  maxConcurrentActivityTaskExecutions: number;
  /** Pollers of the shared workflow queue and of each activity queue (autoscaling up to this many). */
  maxTaskPollers: number;
}

export const DEFAULT_TUNING: WorkerTuning = {
  maxCachedWorkflows: 500,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentActivityTaskExecutions: 100,
  maxTaskPollers: 10,
};

const VARIABLES: Record<keyof WorkerTuning, string> = {
  maxCachedWorkflows: 'NIGHTSHIFT_MAX_CACHED_WORKFLOWS',
  maxConcurrentWorkflowTaskExecutions: 'NIGHTSHIFT_MAX_WORKFLOW_TASKS',
  maxConcurrentActivityTaskExecutions: 'NIGHTSHIFT_MAX_ACTIVITIES',
  maxTaskPollers: 'NIGHTSHIFT_MAX_POLLERS',
};

const Count = z.coerce.number().int().min(2).max(100_000);

/** The defaults, with any of NIGHTSHIFT_MAX_CACHED_WORKFLOWS, _WORKFLOW_TASKS, _ACTIVITIES, _POLLERS set in `env`. */
export function workerTuning(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const tuning = { ...DEFAULT_TUNING };
  for (const [key, name] of Object.entries(VARIABLES) as [keyof WorkerTuning, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = Count.safeParse(raw);
    if (!parsed.success) throw new InvalidInputError(`"${raw}" is not a whole number from 2 to 100000`, name, `Unset ${name} to use the default (${DEFAULT_TUNING[key]}).`);
    tuning[key] = parsed.data;
  }
  return tuning;
}
