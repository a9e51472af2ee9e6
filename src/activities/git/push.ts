import { ApplicationFailure } from '@temporalio/common';
import { classifyPushError, pushAdvice } from '../../model/hosts';
import { git } from './git';
import { checkOwner } from './owner';
import type { OwnerCheck } from '../types';

export interface PushInput {
  owner?: OwnerCheck;
  worktree: string;
  /** The remote's name in the worktree's repository (a takeover clone names its remote the same). */
  remote: string;
  branch: string;
  commit: string;
}
export interface PushResult {
  /** What `git ls-remote` shows on the branch afterwards: the checkpoint's commit. */
  remoteCommit: string;
  /** False when the remote already had it (a retried activity). */
  pushed: boolean;
}

/** The commit the remote shows on `refs/heads/<branch>`, '' when it has no such branch, or git's error. */
export async function remoteHead(worktree: string, remote: string, branch: string): Promise<{ commit: string } | { error: string }> {
  const r = await git(worktree, ['ls-remote', '--heads', remote, `refs/heads/${branch}`]);
  if (r.code !== 0) return { error: (r.stderr || r.stdout).trim() };
  const line = r.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return { commit: line ? (line.split('\t')[0] ?? '') : '' };
}

/**
 * Pushes one checkpoint commit to `<remote> nightshift/<label>` and returns once `git ls-remote`
 * shows it there. Idempotent: a remote that already shows the commit is not pushed again. Never
 * forces: a branch someone else moved is `rejected`, and the local commit stays as it is.
 */
export async function pushCheckpoint(input: PushInput): Promise<PushResult> {
  checkOwner(input.worktree, input.owner);
  const before = await remoteHead(input.worktree, input.remote, input.branch);
  if ('commit' in before && before.commit === input.commit) return { remoteCommit: before.commit, pushed: false };
  const r = await git(input.worktree, ['push', '--quiet', input.remote, `${input.commit}:refs/heads/${input.branch}`], {
    // A push must never wait for a password prompt on a headless worker.
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
  });
  if (r.code !== 0) throw pushFailure(input, `${r.stderr}\n${r.stdout}`.trim());
  const after = await remoteHead(input.worktree, input.remote, input.branch);
  if ('error' in after) throw pushFailure(input, after.error);
  if (after.commit !== input.commit) {
    // Pushed, yet the remote shows something else: retried (the activity's policy) before the person hears of it.
    throw ApplicationFailure.retryable(
      `pushed ${input.commit.slice(0, 10)} to ${input.remote} ${input.branch}, but the remote shows ${after.commit.slice(0, 10) || 'no such branch'}`,
      'PushNotVisible',
    );
  }
  return { remoteCommit: after.commit, pushed: true };
}

/** Rejected and auth problems are not retried (a retry cannot fix them); a remote that is gone may come back. */
function pushFailure(input: PushInput, output: string): ApplicationFailure {
  const problem = classifyPushError(output);
  const last = output.split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' | ');
  const message = `push of checkpoint commit ${input.commit.slice(0, 10)} to ${input.remote} ${input.branch} failed (${problem}): ${last}. ${pushAdvice(problem, input.remote, input.branch)}. The commit stays in ${input.worktree}.`;
  const type = problem === 'rejected' ? 'PushRejected' : problem === 'auth' ? 'PushAuth' : problem === 'remote-gone' ? 'PushRemoteGone' : 'PushFailed';
  return ApplicationFailure.create({ message, type, nonRetryable: problem === 'rejected' || problem === 'auth', details: [{ problem }] });
}
