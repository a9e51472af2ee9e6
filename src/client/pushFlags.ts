import { z } from 'zod';

/** `--remote NAME` and `--no-push`: where each checkpoint commit is pushed (branch nightshift/<label>). */
export const pushFlag = { remote: z.string().min(1).optional(), 'no-push': z.boolean().default(false) };
export const pushSpec = { remote: { type: 'string' }, 'no-push': { type: 'boolean' } } as const;
export const pushOption = `  --remote NAME           push each checkpoint commit to NAME's branch nightshift/<label> (default origin,
                          when the repo has it); a build whose host is lost is taken over from there
  --no-push               keep checkpoint commits local (no takeover by another host then)`;

/** The request's push fields from the flags; only what was given goes in. */
export function pushFromFlags(o: { remote?: string | undefined; 'no-push': boolean }): { remote?: string; push?: false } {
  return { ...(o.remote ? { remote: o.remote } : {}), ...(o['no-push'] ? { push: false as const } : {}) };
}
