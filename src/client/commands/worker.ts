import { z } from 'zod';
import { InvalidInputError } from '../../model/errors';
import { runWorker } from '../../worker';
import { SANDBOX_MODES } from '../../agents/sandbox';
import { type Command, parseOptions } from '../cli';

export const worker: Command = {
  name: 'worker',
  summary: 'Run a Nightshift worker: it executes builds (workflows and agent sessions) on task queue "nightshift" (or NIGHTSHIFT_TASK_QUEUE).',
  usage: 'nightshift worker [--agent-env-file FILE] [--sandbox auto|bwrap|none] [--host NAME]',
  help: `
Options:
  --agent-env-file FILE
                    variables (KEY=VALUE lines) added to every agent's environment on this worker, for
                    API keys and other secrets: they are read here and never sent to Temporal, and
                    their values are masked in transcripts and status. Default: NIGHTSHIFT_AGENT_ENV_FILE.
                    Agents also inherit the worker's own environment.
  --sandbox MODE    the agent sandbox for builds that name none: auto (bwrap when installed, else
                    unsandboxed with a warning in status), bwrap (builds wait for you without it:
                    apt-get install bubblewrap), none. Default: NIGHTSHIFT_SANDBOX, else auto.
                    See docs/security.md.
  --host NAME       this machine's name among the workers (default NIGHTSHIFT_HOST, else the hostname):
                    the worker also polls <queue>@NAME, and the builds whose worktree it prepares run
                    their sessions, verification, commits and pushes here (docs/architecture.md).

Connection: TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (default localhost:7233 / default), or Temporal's
environment config profile (TEMPORAL_PROFILE, temporal.toml).
Files: NIGHTSHIFT_HOME (default ~/.nightshift) holds transcripts, progress files, worktrees and
notifications.log.

SIGINT/SIGTERM shut it down gracefully: running agent sessions are cancelled and their process groups
killed; their builds continue on the next worker.`,
  async run(argv) {
    const { options: o, positionals } = parseOptions(
      'worker',
      argv,
      { 'agent-env-file': { type: 'string' }, sandbox: { type: 'string' }, host: { type: 'string' } },
      z.object({ 'agent-env-file': z.string().min(1).optional(), sandbox: z.enum(SANDBOX_MODES).optional(), host: z.string().min(1).optional() }),
    );
    if (positionals.length > 0) throw new InvalidInputError(`unexpected arguments: ${positionals.join(' ')}`, undefined, 'See `nightshift worker --help`.');
    await runWorker(undefined, { ...(o['agent-env-file'] ? { envFile: o['agent-env-file'] } : {}), ...(o.sandbox ? { sandbox: o.sandbox } : {}), ...(o.host ? { host: o.host } : {}) });
    return 0;
  },
};
