/**
 * The state of a hook-mode loop (seed 003's hook mode): each stop the interactive Claude Code session
 * tries is an iteration, reported by its Stop hook through the `iteration` update. Pure functions;
 * the workflow's handler only calls them.
 */
import { decideStop, type HookEnd, hookPrompt, type StopAnswer } from '../../model/hookLoop';
import type { Iteration } from '../../model/payloads';
import type { LoopState } from './state';

export interface HookIteration {
  n: number;
  at: string;
  sessionId: string | null;
  transcriptPath: string;
  promiseSeen: boolean;
  /** The end of the agent's last message, clipped. */
  lastMessage: string;
  decision: StopAnswer['decision'];
}

export interface HookProgress {
  /** The most recent iterations (at most MAX_KEPT), oldest first. */
  iterations: HookIteration[];
  /** Iterations whose progress entry the workflow has written (the hook's answer does not wait for it). */
  recorded: number;
  /** Set by the stop that ends the loop. */
  end: { status: HookEnd; reason: string } | null;
}

const MAX_KEPT = 20;
const MAX_MESSAGE = 500;

export function isHookLoop(state: Pick<LoopState, 'request'>): boolean {
  return state.request.execution === 'hook';
}

export function hookOf(state: LoopState): HookProgress {
  state.hook ??= { iterations: [], recorded: 0, end: null };
  return state.hook;
}

/** Why an `iteration` cannot be taken, or undefined. A loop that is ending still answers (allow). */
export function validateIteration(state: LoopState): string | undefined {
  if (!isHookLoop(state)) return `loop ${state.taskName} runs its own sessions: it was not started with --hook`;
  return undefined;
}

/**
 * Records one stop and answers it by the rule (src/model/hookLoop.ts): the promise completes the
 * loop, the iteration limit stops it, anything else blocks the stop and hands the prompt back.
 */
export function answerIteration(state: LoopState, it: Iteration, at: string): StopAnswer {
  const h = hookOf(state);
  if (h.end) return { decision: 'allow', iteration: state.sessions, status: h.end.status, reason: h.end.reason };
  state.sessions += 1;
  state.run.sessions += 1;
  const n = state.sessions;
  const r = state.request;
  const answer = decideStop({
    iteration: state.run.sessions,
    maxIterations: r.maxSessions ?? null,
    promiseSeen: it.promiseSeen,
    prompt: hookPrompt({ taskName: state.taskName, task: r.task, completionPromise: r.completionPromise }),
  });
  h.iterations.push({
    n,
    at,
    sessionId: it.sessionId ?? null,
    transcriptPath: it.transcriptPath,
    promiseSeen: it.promiseSeen,
    lastMessage: it.lastMessage.length > MAX_MESSAGE ? `…${it.lastMessage.slice(-MAX_MESSAGE)}` : it.lastMessage,
    decision: answer.decision,
  });
  if (h.iterations.length > MAX_KEPT) h.iterations.splice(0, h.iterations.length - MAX_KEPT);
  const last = it.lastMessage.split(/\r?\n/).filter((l) => l.trim() !== '').pop();
  if (last) state.lastOutput = last.trim().slice(0, 500);
  state.updatedAt = at;
  if (answer.decision === 'allow') {
    h.end = { status: answer.status, reason: answer.reason };
    if (answer.status === 'completed') state.completion = { by: 'promise', session: n, verified: false };
  }
  return { ...answer, iteration: n };
}

/** Iterations reported since the workflow last wrote progress, oldest first. */
export function unrecordedIterations(state: LoopState): HookIteration[] {
  const h = hookOf(state);
  return h.iterations.filter((i) => i.n > h.recorded);
}

/** One progress.md entry per iteration: what the hook reported and how the loop answered. */
export function iterationSummary(it: HookIteration): string {
  return [
    `Stop ${it.n} of the Claude Code session${it.sessionId ? ` ${it.sessionId}` : ''}: ${it.decision === 'block' ? 'blocked, prompt handed back' : 'allowed'}${it.promiseSeen ? ' (completion promise seen)' : ''}.`,
    it.lastMessage ? `Last message:\n\n${it.lastMessage}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
