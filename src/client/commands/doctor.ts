import { z } from 'zod';
import { AGENT_CLI_NAMES, type AgentCliName } from '../../agents/cliVersions';
import { InvalidInputError } from '../../model/errors';
import { type Command, parseOptions, print, printJson } from '../cli';
import { runDoctor } from '../doctor/checks';
import { exitCodeOf, renderTable } from '../doctor/report';

const Options = z
  .object({
    agent: z.enum(AGENT_CLI_NAMES).optional(),
    'agent-bin': z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    'agent-env-file': z.string().min(1).optional(),
    json: z.boolean().default(false),
  })
  .refine((o) => !o['agent-bin'] || o.agent, { message: '--agent-bin goes with --agent NAME', path: ['agentBin'] });

const spec = {
  agent: { type: 'string' },
  'agent-bin': { type: 'string' },
  model: { type: 'string' },
  'agent-env-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const doctor: Command = {
  name: 'doctor',
  summary: 'Check that this machine can run builds: Node, git, the Temporal server, workers, agent CLIs and their logins.',
  usage: 'nightshift doctor [--agent claude|codex|gemini|aider [--agent-bin PATH]] [--model M] [--agent-env-file FILE] [--json]',
  help: `
Checks, each with the one command that fixes a miss:
  node, git               versions Nightshift needs
  temporal                the server is reachable (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE or a profile)
  workers                 workers polling the task queue (NIGHTSHIFT_TASK_QUEUE), with their identities
  <agent>                 installed: on PATH, --agent-bin, or Nightshift's cache of pinned CLIs
  <agent> version         \`<agent> --version\` within the range the end-to-end tests ran
  <agent> credentials     a login or API key, found without spending tokens: claude ~/.claude/.credentials.json
                          or ANTHROPIC_API_KEY; codex \`codex login status\`, CODEX_API_KEY or ~/.codex/auth.json;
                          gemini GEMINI_API_KEY, GOOGLE_API_KEY or ~/.gemini/oauth_creds.json; aider the key of
                          the provider of --model (builds always name aider's model), or without
                          --model any provider's key
Run it where the worker runs: agents use that machine's CLIs, environment and agent env file.

Options:
  --agent NAME            check only this agent CLI (default: all four)
  --agent-bin PATH        with --agent: check this executable, as \`start --agent-bin\` would run it
  --model M               aider: the model builds pass with --model, to check its provider's key
  --agent-env-file FILE   the worker's agent env file (default NIGHTSHIFT_AGENT_ENV_FILE): its keys count
  --json                  an array of {check, ok, detail, fix}

Exit code: 0 when everything checked is ready, 1 otherwise.

Examples:
  nightshift doctor
  nightshift doctor --agent codex --json
  nightshift doctor --agent aider --model openai/gpt-4.1`,
  async run(argv) {
    const { options: o, positionals } = parseOptions('doctor', argv, spec, Options);
    if (positionals.length > 0) throw new InvalidInputError(`unexpected arguments: ${positionals.join(' ')}`, undefined, 'See `nightshift doctor --help`.');
    const agents: readonly AgentCliName[] = o.agent ? [o.agent] : AGENT_CLI_NAMES;
    const results = await runDoctor({
      agents,
      ...(o['agent-bin'] ? { bin: o['agent-bin'] } : {}),
      ...(o.model ? { model: o.model } : {}),
      ...(o['agent-env-file'] ? { envFile: o['agent-env-file'] } : {}),
    });
    if (o.json) printJson(results);
    else print(renderTable(results));
    return exitCodeOf(results);
  },
};
