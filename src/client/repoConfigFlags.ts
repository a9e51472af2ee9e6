import { z } from 'zod';
import type { Plan } from '../model/plan';
import { flagGiven, loadRepoConfig, mergeRepoConfig } from '../model/repoConfig';
import type { AgentSpecSchema } from '../model/request';

/** `--deliver CMD`: deliver the completed build with CMD instead of a pull request (docs/files.md, "Delivery"). */
export const deliverFlag = { deliver: z.string().min(1, '--deliver needs a command').optional() };
export const deliverSpec = { deliver: { type: 'string' } } as const;
export const deliverOption = `  --deliver CMD           when the build completes, run CMD ("<program> <args>", no shell) with the
                          build's summary as JSON on stdin; the last https:// line it prints is the
                          build's URL (default: a pull request with gh when it is installed and logged in)`;

/**
 * The request's agent, plan, setup and delivery with the repository's `.nightshift/config.json`
 * under the flags (flags win). Read before anything is sent, so a bad file is reported first.
 */
export function withRepoConfig(
  repo: string,
  argv: readonly string[],
  given: { agent: z.input<typeof AgentSpecSchema>; plan?: Plan | undefined; deliver?: string | undefined },
): { agent: z.input<typeof AgentSpecSchema>; plan?: Plan; setup?: string[]; deliver?: string } {
  const merged = mergeRepoConfig(loadRepoConfig(repo), repo, {
    ...given,
    agentKindGiven: flagGiven(argv, 'agent'),
  });
  return {
    agent: merged.agent,
    ...(merged.plan ? { plan: merged.plan } : {}),
    ...(merged.setup.length > 0 ? { setup: merged.setup } : {}),
    ...(merged.deliver ? { deliver: merged.deliver } : {}),
  };
}
