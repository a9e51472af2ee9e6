import { z } from 'zod';
import { runWorker } from '../../worker';
import { type Command, parseOptions } from '../cli';

export const worker: Command = {
  name: 'worker',
  summary: 'Run a Nightshift worker: it executes builds (workflows and agent sessions) on task queue "nightshift" (or NIGHTSHIFT_TASK_QUEUE).',
  usage: 'nightshift worker',
  help: `
Connection: TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (default localhost:7233 / default), or Temporal's
environment config profile (TEMPORAL_PROFILE, temporal.toml).
Files: NIGHTSHIFT_HOME (default ~/.nightshift) holds transcripts, progress files, worktrees and
notifications.log.

SIGINT/SIGTERM shut it down gracefully: running agent sessions are cancelled and their process groups
killed; their builds continue on the next worker.`,
  async run(argv) {
    parseOptions('worker', argv, {}, z.object({}));
    await runWorker();
    return 0;
  },
};
