import { commitCheckpoint } from './commit';
import { recordProgress } from './files';
import { loopActivities } from './loop';
import { notify } from './notify';
import { createQueueActivities } from './queueActivities';
import { HomeLayout } from './paths';
import { runAgentSession } from './session';
import type { NotifyInput, RecordInput, SessionInput, VerifyInput, WorkspaceInput } from './types';
import { runVerification } from './verify';
import { prepareWorkspace, stashWork } from './workspace';

export interface ActivityDeps {
  /** NIGHTSHIFT_HOME of this worker: transcripts, progress files, worktrees. */
  home: string;
}

/** The build's activities, bound to their dependencies (tests pass temp dirs, the worker the real home). */
export function createActivities(deps: ActivityDeps) {
  const layout = new HomeLayout(deps.home);
  return {
    prepareWorkspace: (input: WorkspaceInput) => prepareWorkspace(layout, input),
    runAgentSession: (input: SessionInput) => runAgentSession(layout, input),
    runVerification: (input: VerifyInput) => runVerification(layout, input),
    commitCheckpoint,
    stashWork,
    recordProgress: async (input: RecordInput) => recordProgress(layout, input),
    notify: async (input: NotifyInput) => notify(layout, input),
    ...loopActivities(layout),
    ...createQueueActivities({ home: deps.home }),
  };
}
