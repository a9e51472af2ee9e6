import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { workerTuning } from '../../src/worker/tuning';
import { makeRepo } from '../buildBench';
import { floorActivities } from './activities';

export const FLOOR_QUEUE = 'nightshift-bench-floor';

/**
 * A worker for the floor workflows, tuned as Nightshift's own (pollers, slots), on the same server:
 * what Temporal itself costs here, measured next to the bash loop and the build.
 */
export async function floorWorker(address: string, bundlePath: string): Promise<Worker> {
  const tuning = workerTuning();
  return Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue: FLOOR_QUEUE,
    workflowBundle: { codePath: bundlePath },
    activities: floorActivities,
    maxCachedWorkflows: 100,
    maxConcurrentWorkflowTaskPolls: tuning.maxTaskPollers,
    maxConcurrentActivityTaskPolls: tuning.maxTaskPollers,
  });
}

/** Wall time of one floor workflow (`floorOneActivity` or `floorTwoActivities`) over `checkpoints` checkpoints. */
export async function floorRun(client: Client, workflow: 'floorOneActivity' | 'floorTwoActivities', checkpoints: number, scenario: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-floor-'));
  const repo = makeRepo(dir);
  const started = performance.now();
  await client.workflow.execute(workflow, { taskQueue: FLOOR_QUEUE, workflowId: `floor-${Date.now()}-${Math.floor(Math.random() * 1e6)}`, args: [checkpoints, repo, scenario] });
  const elapsed = performance.now() - started;
  rmSync(dir, { recursive: true, force: true });
  return elapsed;
}
