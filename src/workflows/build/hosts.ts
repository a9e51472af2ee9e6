import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import type { PushProblem } from '../../model/hosts';
import { type Activities, now } from './runtime';
import { BuildSessions } from './session';
import { DEFAULT_HOST_TIMEOUT_MS, hostGone, hostRoute, ownerOf } from './hostRoute';
import { named, wait } from '../shared/markers';
import { addDevNote, type CheckpointProgress } from './state';
import { dispatched } from '../shared/dispatch';

/** Takeovers run on the shared queue: any host with a worker may take the build. */
const anyHost = proxyActivities<Activities>(dispatched({
  startToCloseTimeout: '15 minutes',
  // The takeover heartbeats while it clones: a worker lost meanwhile is noticed in 30 s, not 15 minutes.
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '2s', maximumInterval: '30s', nonRetryableErrorTypes: ['TakeOverFailed', 'NoHost'] },
}));

/**
 * Hosts own workspaces (docs/architecture.md, "Hosts, queues and failover"): the build's workspace
 * activities go to the owning host's queue; each checkpoint commit is pushed and checked on the
 * remote; a host that takes none of its work for `hostTimeout` is gone, and another host takes the
 * build over from the last pushed checkpoint.
 */
export abstract class BuildHosts extends BuildSessions {
  protected hostTimeout(): number {
    return this.state.request.policy.hostTimeout ?? DEFAULT_HOST_TIMEOUT_MS;
  }

  /** Options that send an activity to the workspace's host (nothing for a build without hosts). */
  protected route(): { taskQueue?: string; scheduleToStartTimeout?: number } {
    const owner = ownerOf(this.state.label, this.state.workspace);
    return hostRoute(workflowInfo().taskQueue, owner, this.hostTimeout());
  }

  /** Workspace activities on the owning host, with `options` (the default: like the build's git steps). */
  protected onHost(options?: ActivityOptions): ReturnType<typeof proxyActivities<Activities>> {
    return proxyActivities<Activities>(dispatched({
      // Heartbeating activities (src/activities/heartbeating.ts): a lost worker is noticed after the policy's heartbeat timeout.
      ...(options ?? { startToCloseTimeout: '5 minutes', heartbeatTimeout: this.state.request.policy.heartbeatTimeout, retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['InvalidRepo', 'StaleWorkspace'] } }),
      ...this.route(),
    }));
  }

  /** `{ owner }` for a workspace activity's input, when the build's workspace has an owner. */
  protected ownerInput(): { owner?: { label: string; host: string; epoch: number } } {
    const owner = ownerOf(this.state.label, this.state.workspace);
    return owner ? { owner } : {};
  }

  /**
   * A checkpoint on the owning host; when that host is gone, another takes the build over and the
   * checkpoint runs again there from the last pushed commit (unless that commit was this checkpoint's).
   */
  protected async onOwner(cp: CheckpointProgress, run: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        return await run();
      } catch (err) {
        if (!hostGone(err)) throw err;
        await this.takeOver(cp, err);
        if (cp.status === 'completed') {
          // The remote already had this checkpoint's commit: nothing to run again.
          this.state.position = { checkpoint: null, taskGroup: null };
          return;
        }
      }
    }
  }

  /**
   * Pushes a checkpoint's commit to `<remote> nightshift/<label>` and records it once the remote
   * shows it. Failures the activity's retries do not fix go to the person (`push-failed`, with the
   * reason): retry pushes again; skip or override go on without the push, noted in a DevNote.
   */
  protected async pushCheckpoint(cp: CheckpointProgress): Promise<void> {
    const s = this.state;
    const remote = s.workspace?.remote;
    if (!remote || !cp.commit || !s.request.push) return;
    const commit = cp.commit;
    const branch = s.workspace?.branch ?? `nightshift/${s.label}`;
    const push = this.onHost({
      startToCloseTimeout: '5 minutes',
      retry: { maximumAttempts: 3, initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: ['PushRejected', 'PushAuth', 'StaleWorkspace'] },
    });
    for (;;) {
      try {
        await named(push.pushCheckpoint, `push checkpoint-${cp.id} ${commit.slice(0, 10)} to ${remote.name} ${branch}`, {
          ...this.ownerInput(),
          worktree: this.worktree(),
          remote: remote.name,
          branch,
          commit,
        });
        cp.push = { remote: remote.name, commit, pushed: true };
        return;
      } catch (err) {
        if (hostGone(err) || !(err instanceof ActivityFailure)) throw err;
        const cause = err.cause;
        const problem = cause instanceof ApplicationFailure ? ((cause.details?.[0] as { problem?: PushProblem } | undefined)?.problem ?? 'other') : 'other';
        const message = cause?.message ?? err.message;
        cp.push = { remote: remote.name, commit, pushed: false, note: message };
        const decision = await this.awaitHuman('push-failed', `push of checkpoint ${cp.id} (${problem})`, message);
        if (decision.kind === 'retry') continue;
        cp.push = { remote: remote.name, commit, pushed: false, note: `${decision.kind}: ${decision.note}` };
        addDevNote(s, 'deviation', `checkpoint ${cp.id} (${commit.slice(0, 10)}) was not pushed to ${remote.name} ${branch} (${problem}); the build went on: ${decision.note}`, { type: 'checkpoint', ref: cp.id }, now());
        return;
      }
    }
  }

  /** The owning host is gone: another host takes the build over (or, with nothing to take it from, the person decides). */
  private async takeOver(cp: CheckpointProgress, err: unknown): Promise<void> {
    const s = this.state;
    const ws = s.workspace;
    const lost = ws?.host ?? 'unknown';
    const why = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.message : `it took none of this build's work for ${wait(this.hostTimeout())}`;
    if (!ws?.remote || !ws.baseCommit || !s.request.push) {
      // Without a remote there is no pushed checkpoint to start from: only the lost host has the work.
      await this.awaitHuman(
        'worker-lost',
        `checkpoint ${cp.id}`,
        `host ${lost} is gone (${why}) and the build has no remote to take it over from (pushing is off or the repository has no remote ${s.request.remote}): start a worker with NIGHTSHIFT_HOST=${lost} again, then retry`,
      );
      return;
    }
    const epoch = (ws.epoch ?? 1) + 1;
    const taken = await named(anyHost.takeOverWorkspace, `take build over from host ${lost} (epoch ${epoch})`, {
      label: s.label,
      runId: s.runId,
      branch: ws.branch,
      baseCommit: ws.baseCommit,
      remote: ws.remote,
      epoch,
    });
    s.workspace = { path: taken.path, branch: taken.branch, baseCommit: taken.baseCommit, host: taken.host, epoch: taken.epoch, remote: taken.remote ?? ws.remote };
    const lostCommits: string[] = [];
    for (const c of s.checkpoints) {
      const onBranch = taken.commits[c.id];
      if (onBranch) {
        if (c.status !== 'completed') Object.assign(c, { status: 'completed', commit: onBranch, push: { remote: ws.remote.name, commit: onBranch, pushed: true } });
      } else if (c.status === 'completed' && c.commit) lostCommits.push(`checkpoint ${c.id} (${c.commit.slice(0, 10)})`);
    }
    if (cp.status !== 'completed') {
      cp.status = 'running';
      cp.commit = null;
      cp.push = null;
      cp.verifyAttempts = 0;
      for (const g of cp.taskGroups) if (g.status !== 'skipped') Object.assign(g, { status: 'pending', attempts: 0 });
    }
    // The lost host's agent sessions cannot be resumed here: this checkpoint starts fresh, with the build's context.
    for (const key of Object.keys(s.agentSessions)) if (key.startsWith(`${cp.id}/`)) delete s.agentSessions[key];
    const from = taken.fromRemote ? `${ws.remote.name} ${ws.branch} at ${taken.head.slice(0, 10)}` : `the base ${taken.head.slice(0, 10)} (nothing was pushed yet)`;
    const redo = cp.status === 'completed' ? `checkpoint ${cp.id} was already pushed and is kept` : `the uncommitted work of checkpoint ${cp.id} on ${lost} is lost and is done again`;
    addDevNote(s, 'discovery', `host ${lost} is gone (${why}): host ${taken.host} took the build over (epoch ${epoch}) from ${from}; ${redo}`, { type: 'checkpoint', ref: cp.id }, now());
    if (lostCommits.length) addDevNote(s, 'deviation', `never pushed, so left behind on host ${lost}: ${lostCommits.join(', ')}`, { type: 'checkpoint', ref: cp.id }, now());
    await this.record();
  }
}
