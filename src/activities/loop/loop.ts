import { join } from 'node:path';
import { commitLoopSession, type LoopCommitInput } from './commit';
import { appendLoopProgress, type LoopProgressInput, type LoopRepoInput, loopSessionsDir, loopSnapshot, type PrepareLoopInput, prepareLoop } from './files';
import { HomeLayout, pad } from '../paths';
import { removeStopHook } from '../../hooks/settings';
import { removeHookState } from '../../hooks/stateFile';
import type { VerifyResult } from '../types';
import { runVerification } from '../verify';
import { heartbeating } from '../heartbeating';

export interface LoopVerifyInput extends LoopRepoInput {
  session: number;
  command: string;
  timeoutMs: number;
}

/** Verification logs of a loop sit next to its transcripts: `sessions/session-NNN.verify.log`. */
class LoopVerifyLayout extends HomeLayout {
  constructor(
    home: string,
    private readonly sessionsDir_: string,
  ) {
    super(home);
  }
  override verifyLog(_label: string, _checkpoint: string, attempt: number): string {
    return join(this.sessionsDir_, `session-${pad(attempt)}.verify.log`);
  }
}

/** The loop workflow's activities (seed 003 and seed 000's scheduled sessions). */
export function loopActivities(layout: HomeLayout) {
  return {
    prepareLoop: (input: PrepareLoopInput) => prepareLoop(input),
    loopSnapshot: (input: LoopRepoInput) => loopSnapshot(input),
    appendLoopProgress: async (input: LoopProgressInput) => appendLoopProgress(input),
    // Heartbeating (heartbeating.ts): a worker lost while committing is noticed in seconds.
    commitLoopSession: heartbeating((input: LoopCommitInput) => commitLoopSession(input)),
    /** Hook mode, when the loop ends: its Stop hook out of settings.local.json, its state file gone (idempotent). */
    removeLoopStopHook: async (input: LoopRepoInput): Promise<{ hookRemoved: boolean; stateRemoved: boolean }> => ({
      hookRemoved: removeStopHook(input.repo, input.taskName),
      stateRemoved: removeHookState(input.repo, input.taskName),
    }),
    /** The loop's `verify` command, run before a claimed completion is accepted. */
    verifyLoopCompletion: (input: LoopVerifyInput): Promise<VerifyResult> =>
      runVerification(new LoopVerifyLayout(layout.home, loopSessionsDir(input.repo, input.taskName)), {
        label: input.taskName,
        checkpointId: 'loop',
        attempt: input.session,
        worktree: input.repo,
        steps: [{ name: input.command, run: input.command }],
        timeoutMs: input.timeoutMs,
      }),
  };
}
