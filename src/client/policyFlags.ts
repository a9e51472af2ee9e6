import { z } from 'zod';
import { parseDuration } from '../model/duration';
import type { PolicySchema } from '../model/request';

const duration = (flag: string) =>
  z
    .string()
    .optional()
    // On the command line a bare number is refused: "--stall-timeout 4" is more likely 4 hours than 4 ms.
    .refine((v) => v === undefined || (!/^\d+$/.test(v.trim()) && parseDuration(v) !== undefined), {
      message: `expected a duration with a unit, like 30s, 5m or 4h (--${flag})`,
    });

/** The failure-handling flags every command that starts work accepts; stored in the request. */
export const policyFlags = {
  'max-attempts': z.string().regex(/^[1-9]\d*$/, 'expected a whole number of attempts, at least 1').optional(),
  'retry-interval': duration('retry-interval'),
  'stall-timeout': duration('stall-timeout'),
  'verify-timeout': duration('verify-timeout'),
  'max-session-time': duration('max-session-time'),
  'session-budget': z.string().regex(/^\d+(\.\d+)?$/, 'expected US dollars, e.g. 5 or 2.50').optional(),
  'build-budget': z.string().regex(/^\d+(\.\d+)?$/, 'expected US dollars, e.g. 20').optional(),
  'host-timeout': duration('host-timeout'),
};

/** parseArgs specs of the policy flags (all take a value). */
export const policySpec = Object.fromEntries(Object.keys(policyFlags).map((k) => [k, { type: 'string' as const }]));

export const policyOptions = `  --max-attempts N        attempts per step before asking you (default 3)
  --retry-interval D      wait between attempts (default 5m); durations: 30s, 5m, 4h
  --stall-timeout D       no agent output for D counts as a stall (default 4h)
  --verify-timeout D      limit for each verification step (default 10m)
  --max-session-time D    limit for one agent session (default 12h)
  --session-budget USD    stop a session that reports spending more (agents that report cost)
  --build-budget USD      start no new session once the build has spent this much
  --host-timeout D        a host that takes none of its build's work for D is gone: another host takes
                          the build over from the last pushed checkpoint (default 2m)`;

export function policyFromFlags(o: { [K in keyof typeof policyFlags]?: string }): z.input<typeof PolicySchema> {
  const policy: z.input<typeof PolicySchema> = {};
  if (o['max-attempts']) policy.maxAttempts = Number(o['max-attempts']);
  if (o['retry-interval']) policy.retryInterval = o['retry-interval'];
  if (o['stall-timeout']) policy.stallTimeout = o['stall-timeout'];
  if (o['verify-timeout']) policy.verifyTimeout = o['verify-timeout'];
  if (o['max-session-time']) policy.maxSessionTime = o['max-session-time'];
  if (o['session-budget']) policy.sessionBudgetUsd = Number(o['session-budget']);
  if (o['build-budget']) policy.buildBudgetUsd = Number(o['build-budget']);
  if (o['host-timeout']) policy.hostTimeout = o['host-timeout'];
  return policy;
}
