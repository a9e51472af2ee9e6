import { z } from 'zod';
import { parseEnvFlags, SECRET_HINT } from '../model/agentEnv';
import { InvalidInputError } from '../model/errors';

/** `--env KEY=VALUE` (repeatable) on every command that starts agents: plain settings, stored in the request. */
export const envFlag = { env: z.array(z.string()).default([]) };
export const envSpec = { env: { type: 'string', multiple: true } } as const;
export const envOption = '  --env KEY=VALUE         a plain setting for the agent\'s environment; repeat for more. Stored in the\n                          request (workflow history), so secrets are refused: give those to the worker\n                          (NIGHTSHIFT_AGENT_ENV_FILE, see docs/agents.md)';

/** The agent spec's `env` from the flags, or nothing; a bad or secret-looking entry is refused by name. */
export function agentEnvFromFlags(flags: readonly string[]): { env?: Record<string, string> } {
  if (flags.length === 0) return {};
  const { env, problems } = parseEnvFlags(flags);
  if (problems.length > 0) {
    const secret = problems.some((p) => p.includes('looks like a secret'));
    throw new InvalidInputError(problems.join('; '), '--env', secret ? SECRET_HINT : 'Give --env KEY=VALUE, KEY a valid environment variable name.');
  }
  return { env };
}
