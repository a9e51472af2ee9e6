import { commitCheckpoint } from './commit';
import { recordProgress } from './files';
import { loopActivities } from './loop';
import { notify } from './notify';
import { createQueueActivities } from './queueActivities';
import { HomeLayout } from './paths';
import { runAgentSession } from './session';
import type { NotifyInput, RecordInput, SessionInput, VerifyInput, WorkspaceInput } from './types';
import { runVerification } from './verify';
import { maskStrings, secretValues, valueMasker } from '../worker/agentEnvFile';
import { prepareWorkspace, stashWork } from './workspace';

export interface ActivityDeps {
  /** NIGHTSHIFT_HOME of this worker: transcripts, progress files, worktrees. */
  home: string;
  /** The worker's agent env file (NIGHTSHIFT_AGENT_ENV_FILE): added to every agent's environment, masked in its output. */
  agentEnv?: Record<string, string>;
}

/** The build's activities, bound to their dependencies (tests pass temp dirs, the worker the real home). */
export function createActivities(deps: ActivityDeps) {
  const layout = new HomeLayout(deps.home);
  const mask = valueMasker(secretValues(deps.agentEnv ?? {}));
  const workerEnv = { env: deps.agentEnv ?? {}, mask };
  return {
    prepareWorkspace: (input: WorkspaceInput) => prepareWorkspace(layout, input),
    // Results go into workflow history: the env file's values are masked there too.
    runAgentSession: async (input: SessionInput) => maskStrings(await runAgentSession(layout, input, workerEnv), mask),
    runVerification: (input: VerifyInput) => runVerification(layout, input),
    commitCheckpoint,
    stashWork,
    recordProgress: async (input: RecordInput) => recordProgress(layout, input),
    notify: async (input: NotifyInput) => notify(layout, input),
    ...loopActivities(layout),
    ...createQueueActivities({ home: deps.home }),
  };
}
