/**
 * Host identities and their task queues (dependency-free: the workflows import it too). A host is a
 * machine (or a container with its own disk) that keeps worktrees; its workers poll the shared task
 * queue and `<task queue>@<host>`, where the workspace activities of the builds it owns go.
 */

/** Host names become task queue names: letters, digits, `.`, `_`, `-` (at most 200). */
export const HOST_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function hostQueue(sharedQueue: string, host: string): string {
  return `${sharedQueue}@${host}`;
}

/** Why a push of a checkpoint failed, as the person reads it in `status` (wait reason `push-failed`). */
export type PushProblem = 'remote-gone' | 'rejected' | 'auth' | 'other';

/** Reads git's push/ls-remote output: what went wrong, in the terms the person acts on. */
export function classifyPushError(output: string): PushProblem {
  const text = output.toLowerCase();
  if (/\[rejected\]|non-fast-forward|fetch first|\(stale info\)|updates were rejected/.test(text)) return 'rejected';
  if (/authentication failed|permission denied|could not read username|could not read password|403|401|access denied|invalid credentials/.test(text)) return 'auth';
  if (/does not appear to be a git repository|repository not found|no such remote|could not read from remote repository|not found|no such file or directory|could not resolve host|connection refused/.test(text)) return 'remote-gone';
  return 'other';
}

/** What the person can do about a push problem. */
export function pushAdvice(problem: PushProblem, remote: string, branch: string): string {
  switch (problem) {
    case 'remote-gone':
      return `the remote ${remote} cannot be reached or no longer exists: fix it (git remote set-url ${remote} URL) and retry`;
    case 'rejected':
      return `the remote branch ${branch} has commits this build does not have (someone pushed to it): move them away (or delete the branch) and retry`;
    case 'auth':
      return `the remote refused this worker's credentials: give the worker push access to ${remote} and retry`;
    default:
      return 'see the message above, then retry';
  }
}
