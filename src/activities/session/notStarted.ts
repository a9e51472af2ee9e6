import type { SessionInput, SessionResult } from '../types';

/**
 * The result of a session whose agent never started (its sandbox cannot run here, or the host's
 * limit for its agent has not reset): no output, no cost, the agent session kept for the next try.
 */
export function notStartedSession(
  input: SessionInput,
  why: Pick<SessionResult, 'lastLine' | 'transcript' | 'failureClass' | 'failureMessage' | 'resetAt'>,
): SessionResult {
  return {
    session: input.session,
    ok: false,
    exitCode: null,
    signal: null,
    durationMs: 0,
    stderrTail: '',
    devNotes: [],
    promiseSeen: false,
    costUsd: null,
    usage: null,
    turns: null,
    agentSessionId: input.resumeSessionId ?? input.agentSessionId ?? null,
    model: null,
    ...why,
  };
}
