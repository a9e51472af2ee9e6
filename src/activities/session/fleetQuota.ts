import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { SessionInput, SessionResult } from '../types';
import { notStartedSession } from './notStarted';

/**
 * Fleet quota: one usage limit per agent per host (the same credentials), recorded in the worker's
 * NIGHTSHIFT_HOME when a session hits it. Every later session of that agent on this host parks until
 * the reset without starting the agent, and sessions running meanwhile stop their agent and park
 * (`quotaWatch`), instead of each hitting the limit in turn. To go on before the reset (other
 * credentials), delete NIGHTSHIFT_HOME/quota/<agent>.json.
 */
const QuotaSchema = z.object({ agent: z.string(), resetAt: z.string(), label: z.string(), at: z.string() });
export type QuotaRecord = z.infer<typeof QuotaSchema>;

export function quotaFile(home: string, agent: string): string {
  return join(home, 'quota', `${agent}.json`);
}

export function readQuota(home: string, agent: string): QuotaRecord | null {
  try {
    const parsed = QuotaSchema.safeParse(JSON.parse(readFileSync(quotaFile(home, agent), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Records the limit's reset, keeping the later one when another session recorded one already. */
export function recordQuota(home: string, record: QuotaRecord): void {
  const known = readQuota(home, record.agent);
  if (known && Date.parse(known.resetAt) >= Date.parse(record.resetAt)) return;
  const file = quotaFile(home, record.agent);
  mkdirSync(join(home, 'quota'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2));
  renameSync(tmp, file);
}

/** `03:10 UTC`: the reset as people read it in a status line. */
export function resetClock(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')} UTC`;
}

/** A session that does not start: the host's limit for its agent has not reset yet. */
function parked(input: SessionInput, q: QuotaRecord): SessionResult {
  return notStartedSession(input, {
    lastLine: `waiting for the ${q.agent} limit to reset at ${resetClock(q.resetAt)}`,
    transcript: '',
    failureClass: 'rate-limited',
    failureMessage: parkedMessage(q, false),
    resetAt: q.resetAt,
  });
}

/** The session activity with the host's quota: checked before the agent starts, recorded when it hits a limit. */
export function withFleetQuota(home: string, run: (input: SessionInput) => Promise<SessionResult>, now: () => number = Date.now) {
  return async (input: SessionInput): Promise<SessionResult> => {
    const agent = input.agent.kind;
    const known = readQuota(home, agent);
    // The build that hit the limit parks by itself (and a person's `retry` of it goes ahead); the others park here.
    if (known && known.label !== input.label && Date.parse(known.resetAt) > now()) return parked(input, known);
    const result = await run(input);
    if (result.failureClass === 'rate-limited' && result.resetAt && Date.parse(result.resetAt) > now()) {
      recordQuota(home, { agent, resetAt: result.resetAt, label: input.label, at: new Date(now()).toISOString() });
    }
    return result;
  };
}

/**
 * For a running session: the limit another build on this host hit after this session started (its
 * agent shares the credentials, so it is about to hit it too): the session stops its agent and parks.
 */
export function quotaWatch(home: string, input: Pick<SessionInput, 'agent' | 'label'>, startedMs: number): () => QuotaRecord | null {
  return () => {
    const q = readQuota(home, input.agent.kind);
    if (!q || q.label === input.label) return null;
    return Date.parse(q.at) >= startedMs && Date.parse(q.resetAt) > Date.now() ? q : null;
  };
}

/** The message of a session stopped (or not started) for the host's limit. */
export function parkedMessage(q: QuotaRecord, started: boolean): string {
  return `waiting for the ${q.agent} limit to reset at ${resetClock(q.resetAt)} (hit by build ${q.label} on this host); ${started ? 'the agent was stopped' : 'the agent was not started'}`;
}
