import { hostname } from 'node:os';
import { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { HOST_PATTERN, hostQueue } from '../model/hosts';
import { InvalidInputError } from '../model/errors';
import type { NativeConnection } from '@temporalio/worker';
import { type WorkerTuning, workerTuning } from './tuning';

/** This worker's host: `--host`, else NIGHTSHIFT_HOST, else the machine's hostname (made queue-safe). */
export function workerHost(flag?: string): string {
  const explicit = flag ?? process.env.NIGHTSHIFT_HOST;
  if (explicit !== undefined && explicit !== '') {
    if (!HOST_PATTERN.test(explicit)) {
      throw new InvalidInputError(`host "${explicit}" is not a valid host name`, undefined, 'Use letters, digits, ".", "_" or "-" (NIGHTSHIFT_HOST or --host).');
    }
    return explicit;
  }
  const name = hostname().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 200);
  return name || 'localhost';
}

/**
 * The second worker of `nightshift worker`: activities only, on `<queue>@<host>`, where the builds
 * this host owns send their sessions, verification, commits and pushes.
 */
export async function createHostWorker(options: { connection: NativeConnection; namespace: string; taskQueue: string; host: string; deps: ActivityDeps; tuning?: WorkerTuning }): Promise<Worker> {
  const tuning = options.tuning ?? workerTuning();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: hostQueue(options.taskQueue, options.host),
    activities: createActivities({ ...options.deps, host: options.host }),
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '500ms',
    // The sessions, verifications and commits of the builds this host owns: a session holds a slot for its whole length.
    maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions,
    maxConcurrentActivityTaskPolls: tuning.maxTaskPollers,
  });
}
