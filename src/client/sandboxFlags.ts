import { z } from 'zod';
import { SANDBOX_MODES } from '../agents/sandbox';

/** `--sandbox auto|bwrap|none` and `--no-network` on every command that starts agents: stored in the request. */
export const sandboxFlag = { sandbox: z.enum(SANDBOX_MODES).optional(), 'no-network': z.boolean().default(false) };
export const sandboxSpec = { sandbox: { type: 'string' }, 'no-network': { type: 'boolean' } } as const;
export const sandboxOption = `  --sandbox MODE          auto | bwrap | none: run the agent in a bubblewrap sandbox (auto: when bwrap is
                          installed, else unsandboxed with a warning). Default: the worker's (--sandbox,
                          NIGHTSHIFT_SANDBOX, else auto). See docs/security.md
  --no-network            the agent runs without a network (only for agents that need no API)`;

/** The agent spec's sandbox fields from the flags; only what was given goes in. */
export function agentSandboxFromFlags(o: { sandbox?: (typeof SANDBOX_MODES)[number] | undefined; 'no-network': boolean }): { sandbox?: (typeof SANDBOX_MODES)[number]; network?: false } {
  return { ...(o.sandbox ? { sandbox: o.sandbox } : {}), ...(o['no-network'] ? { network: false as const } : {}) };
}
