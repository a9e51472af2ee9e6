import { z } from 'zod';
import { loadRepoConfig } from '../model/repoConfig';

/** `--gate checkpoint|none`: wait for `nightshift resume` after each checkpoint's commit (seed 001's one checkpoint per invocation). */
export const gateFlag = { gate: z.enum(['checkpoint', 'none'], { message: '--gate takes checkpoint or none' }).optional() };
export const gateSpec = { gate: { type: 'string' } } as const;
export const gateOption = `  --gate checkpoint       after each checkpoint's commit, wait (reason checkpoint-review) for
                          nightshift resume LABEL; override/skip/feedback work there too (default:
                          .nightshift/config.json "gate", else none: run every checkpoint)`;

/** The request's `gate`: the flag, else the repository's `.nightshift/config.json` `gate`, else none. */
export function gateOf(repo: string, flag: 'checkpoint' | 'none' | undefined): { gate?: 'checkpoint' } {
  const gate = flag ?? loadRepoConfig(repo)?.gate;
  return gate === 'checkpoint' ? { gate } : {};
}
