import { commitCheckpoint, lookUpCommit } from './git/commit';
import { recordProgress } from './files/files';
import { loopActivities } from './loop/loop';
import { notify } from './notify/notify';
import { createQueueActivities } from './queueActivities';
import { HomeLayout } from './paths';
import { runAgentSession } from './session/session';
import type { NotifyInput, NotifyResult, RecordInput, SessionInput, VerifyAndCommitInput, VerifyAndCommitResult, VerifyInput, WorkspaceInput } from './types';
import { runVerification } from './verify';
import { withFleetQuota } from './session/fleetQuota';
import { deliverBuild } from './deliver';
import { webhookConfigured } from './notify/webhook';
import { redactSecrets } from '../agents/redact';
import type { SandboxMode } from '../agents/sandbox';
import { maskStrings, secretValues, valueMasker } from '../worker/agentEnvFile';
import { prepareWorkspace, stashWork } from './git/workspace';
import { checkOwner, owned } from './git/owner';
import type { PrepareLoopInput } from './loop/files';
import { heartbeating } from './heartbeating';
import { pushCheckpoint } from './git/push';
import { takeOverWorkspace, type TakeOverInput } from './git/takeover';
import type { CommitInput } from './types';

export interface ActivityDeps {
  /** NIGHTSHIFT_HOME of this worker: transcripts, progress files, worktrees. */
  home: string;
  /** The worker's agent env file (NIGHTSHIFT_AGENT_ENV_FILE): added to every agent's environment, masked in its output. */
  agentEnv?: Record<string, string>;
  /** The sandbox for requests that name none (docs/security.md). */
  sandbox?: SandboxMode;
  /** This worker's host (NIGHTSHIFT_HOST): it owns the workspaces it prepares (docs/architecture.md). */
  host?: string;
}

/** The build's activities, bound to their dependencies (tests pass temp dirs, the worker the real home). */
export function createActivities(deps: ActivityDeps) {
  const layout = new HomeLayout(deps.home);
  const mask = valueMasker(secretValues(deps.agentEnv ?? {}));
  const workerEnv = { env: deps.agentEnv ?? {}, mask, ...(deps.sandbox ? { sandbox: deps.sandbox } : {}) };
  // Everything a session returns goes into workflow history: secret shapes and the env file's values are masked.
  const redact = (text: string): string => mask(redactSecrets(text));
  return {
    // Git steps heartbeat (heartbeating.ts): a worker lost in the middle of one is noticed in seconds.
    prepareWorkspace: heartbeating((input: WorkspaceInput) => prepareWorkspace(layout, input, deps.host)),
    takeOverWorkspace: heartbeating((input: TakeOverInput) => takeOverWorkspace(layout, deps.host, input)),
    pushCheckpoint,
    // Results go into workflow history: the env file's values are masked there too.
    runAgentSession: owned(withFleetQuota(deps.home, async (input: SessionInput) => maskStrings(await runAgentSession(layout, input, workerEnv), redact))),
    runVerification: owned((input: VerifyInput) => runVerification(layout, input)),
    commitCheckpoint: owned(heartbeating((input: CommitInput) => commitCheckpoint(input))),
    // A checkpoint whose verification passes is committed by the same activity: one round trip
    // through history instead of two. Retried, it verifies again and finds its own commit.
    verifyAndCommit: heartbeating(async (input: VerifyAndCommitInput): Promise<VerifyAndCommitResult> => {
      checkOwner(input.verify.worktree, input.verify.owner);
      // The commit's read-only lookups run while the verification does.
      const lookup = lookUpCommit(input.commit);
      lookup.catch(() => undefined);
      const verification = await runVerification(layout, input.verify);
      return { verification, commit: verification.passed ? await commitCheckpoint(input.commit, await lookup) : null };
    }),
    stashWork: heartbeating(stashWork),
    // A worker lost while delivering is noticed by its heartbeat; a retry finds its pull request already there.
    deliverBuild: heartbeating(deliverBuild),
    // The answer says whether this worker has a webhook, so a build schedules no webhook activity without one.
    recordProgress: async (input: RecordInput): Promise<NotifyResult> => {
      recordProgress(layout, input);
      if (input.notify) notify(layout, input.notify);
      return { webhook: webhookConfigured() };
    },
    notify: async (input: NotifyInput): Promise<NotifyResult> => {
      notify(layout, input);
      return { webhook: webhookConfigured() };
    },
    ...loopActivities(layout),
    // A loop stays on the host that prepared it (its checkout is there): the host is in the answer.
    prepareLoop: async (input: PrepareLoopInput) => ({ ...(await loopActivities(layout).prepareLoop(input)), ...(deps.host ? { host: deps.host } : {}) }),
    ...createQueueActivities({ home: deps.home }),
  };
}
