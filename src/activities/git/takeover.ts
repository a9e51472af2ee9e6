import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { TRAILER_CHECKPOINT, TRAILER_RUN } from './commit';
import { git, gitOk } from './git';
import { readOwner, writeOwner } from './owner';
import type { HomeLayout } from '../paths';
import type { Workspace } from '../types';

export interface TakeOverInput {
  label: string;
  runId: string;
  branch: string;
  baseCommit: string;
  remote: { name: string; url: string };
  /** The new owner's epoch: one more than the lost host's. */
  epoch: number;
}
export interface TakeOverResult extends Workspace {
  host: string;
  epoch: number;
  /** Where the new worktree starts: the remote branch's head, or the base when nothing was pushed. */
  head: string;
  fromRemote: boolean;
  /** Checkpoints this build run has committed on the branch it starts from (by their trailers). */
  commits: Record<string, string>;
}

/**
 * Takes a build over on this host after its owner was lost: a fresh clone of the remote, on branch
 * `nightshift/<label>` at the last pushed checkpoint (or the base), marked with the new epoch. A
 * worktree already at this path from an older epoch (this host owned the build before) is removed,
 * never reused. Idempotent: a retry finds its own epoch's clone and returns it.
 */
export async function takeOverWorkspace(layout: HomeLayout, host: string | undefined, input: TakeOverInput): Promise<TakeOverResult> {
  if (!host) throw ApplicationFailure.nonRetryable('this worker has no host identity (NIGHTSHIFT_HOST) and cannot own a workspace', 'NoHost');
  const path = layout.workspace(input.label);
  const mine = readOwner(path);
  if (!(mine && mine.host === host && mine.epoch === input.epoch && existsSync(path))) {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(dirname(path), { recursive: true });
    const clone = await git(dirname(path), ['clone', '--quiet', '--no-checkout', '--origin', input.remote.name, input.remote.url, path], { GIT_TERMINAL_PROMPT: '0' });
    if (clone.code !== 0) {
      // Retried by the activity's policy: the remote may be back in a moment.
      throw ApplicationFailure.retryable(`cannot clone ${input.remote.url} to take build ${input.label} over: ${clone.stderr.trim()}`, 'TakeOverFailed');
    }
  }
  const remoteRef = `refs/remotes/${input.remote.name}/${input.branch}`;
  const pushed = await git(path, ['rev-parse', '--verify', '--quiet', `${remoteRef}^{commit}`]);
  const fromRemote = pushed.code === 0;
  const start = fromRemote ? pushed.stdout.trim() : input.baseCommit;
  if ((await git(path, ['cat-file', '-e', `${start}^{commit}`])).code !== 0) {
    throw ApplicationFailure.nonRetryable(
      `the remote ${input.remote.name} (${input.remote.url}) has neither ${input.branch} nor the build's base commit ${start.slice(0, 10)}: push the base branch there, then retry`,
      'TakeOverFailed',
    );
  }
  await gitOk(path, ['checkout', '--quiet', '-B', input.branch, start]);
  writeOwner(path, { label: input.label, host, epoch: input.epoch });
  return { path, branch: input.branch, baseCommit: input.baseCommit, host, epoch: input.epoch, remote: input.remote, head: start, fromRemote, commits: await runCommits(path, input.runId) };
}

/** checkpoint id → commit, for the commits of this build run (trailer Nightshift-Run) reachable from HEAD. */
async function runCommits(worktree: string, runId: string): Promise<Record<string, string>> {
  const format = `%H%x1f%(trailers:key=${TRAILER_RUN},valueonly,separator=%x2c)%x1f%(trailers:key=${TRAILER_CHECKPOINT},valueonly,separator=%x2c)`;
  const r = await git(worktree, ['log', '-n', '500', `--format=${format}`, 'HEAD']);
  const found: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const [hash, run, checkpoint] = line.split('\x1f');
    if (hash && run?.trim() === runId && checkpoint?.trim() && !found[checkpoint.trim()]) found[checkpoint.trim()] = hash;
  }
  return found;
}
