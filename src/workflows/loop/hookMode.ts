import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { LoopRequest, LoopStatus } from '../../model/loopRequest';
import type { loopWorkflow } from './loop';
import { hookOf, type HookIteration, unrecordedIterations } from './hookState';
import type { LoopState } from './state';

/** What the hook-mode process needs of the loop it runs in (src/workflows/loop/loop.ts). */
export interface HookLoop {
  readonly state: LoopState;
  setStatus(status: LoopStatus, detail?: string): void;
  publish(): void;
  /** Writes the iteration's progress.md entry (an activity on the loop's host). */
  recordIteration(it: HookIteration): Promise<void>;
}

/**
 * Seed 003's hook mode. The person's interactive Claude Code session does the work; no activity runs
 * an agent. Each time the session tries to stop, its Stop hook sends `iteration` and gets the answer
 * at once from the update handler (answerIteration): block and hand the prompt back, or allow. This
 * process only follows: it writes each iteration's progress entry after the answer, and returns when
 * a stop ended the loop (promise, iteration limit). Cancellation ends it from outside.
 */
export async function driveFromHook(loop: HookLoop, request: LoopRequest): Promise<{ status: LoopStatus; reason: string }> {
  const s = loop.state;
  const h = hookOf(s);
  const limit = request.maxSessions ? ` of at most ${request.maxSessions}` : '';
  for (;;) {
    loop.setStatus('running', `${s.sessions} iteration(s)${limit} · waiting for the Claude Code session in ${request.repo} to stop (its Stop hook reports here)`);
    loop.publish();
    await condition(() => unrecordedIterations(s).length > 0 || h.end !== null);
    for (const it of unrecordedIterations(s)) {
      await loop.recordIteration(it);
      h.recorded = it.n;
    }
    if (h.end) return h.end;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof loopWorkflow>(request, s);
    }
  }
}
