import { git, gitOk, identityEnv } from './git';
import { updateSessionFiles } from '../session/files';
import type { CommitInput, CommitResult } from '../types';

export const TRAILER_BUILD = 'Nightshift-Build';
export const TRAILER_RUN = 'Nightshift-Run';
export const TRAILER_CHECKPOINT = 'Nightshift-Checkpoint';

export function commitMessage(input: Pick<CommitInput, 'label' | 'runId' | 'checkpointId' | 'title'>): string {
  return (
    `checkpoint-${input.checkpointId}: ${input.title}\n\n` +
    `${TRAILER_BUILD}: ${input.label}\n${TRAILER_RUN}: ${input.runId}\n${TRAILER_CHECKPOINT}: ${input.checkpointId}\n`
  );
}

/** The commit this build run already made for this checkpoint, if any (found by its trailers). */
export async function findCheckpointCommit(worktree: string, runId: string, checkpointId: string): Promise<string | undefined> {
  const format = `%H%x1f%(trailers:key=${TRAILER_RUN},valueonly,separator=%x2c)%x1f%(trailers:key=${TRAILER_CHECKPOINT},valueonly,separator=%x2c)`;
  const r = await git(worktree, ['log', '-n', '500', `--format=${format}`, 'HEAD']);
  if (r.code !== 0) return undefined;
  for (const line of r.stdout.split('\n')) {
    const [hash, run, checkpoint] = line.split('\x1f');
    if (hash && run?.trim() === runId && checkpoint?.trim() === checkpointId) return hash;
  }
  return undefined;
}

/**
 * Exactly one commit per checkpoint, subject `checkpoint-<id>: <title>`. Idempotent: a retried
 * activity finds its own trailer on the branch and returns that commit instead of committing again.
 * A checkpoint whose agent changed nothing still gets its (empty) commit, so the history always
 * shows one commit per checkpoint.
 */
export async function commitCheckpoint(input: CommitInput): Promise<CommitResult> {
  const existing = await findCheckpointCommit(input.worktree, input.runId, input.checkpointId);
  if (existing) return { commit: existing, created: false, files: await changedFiles(input.worktree, existing) };
  if (input.session) updateSessionFiles(input.worktree, input.session);
  // Independent git processes run side by side: each is a few milliseconds of every checkpoint.
  const [, env] = await Promise.all([gitOk(input.worktree, ['add', '--all']), identityEnv(input.worktree)]);
  await gitOk(input.worktree, ['commit', '--allow-empty', '--no-verify', '-q', '-m', commitMessage(input)], env);
  const commit = await gitOk(input.worktree, ['rev-parse', 'HEAD']);
  return { commit, created: true, files: await changedFiles(input.worktree, commit) };
}

/** What a commit changed (`git diff-tree --name-status`), for seed 001's "Files Created/Modified". At most 500. */
export async function changedFiles(worktree: string, commit: string): Promise<{ status: string; path: string }[]> {
  const r = await git(worktree, ['diff-tree', '-r', '--root', '--no-commit-id', '--name-status', '-z', commit]);
  if (r.code !== 0) return [];
  const parts = r.stdout.split('\0').filter((p) => p !== '');
  const files: { status: string; path: string }[] = [];
  for (let i = 0; i < parts.length && files.length < 500; ) {
    const status = parts[i++] as string;
    // Renames and copies name the old path, then the new one.
    if (status.startsWith('R') || status.startsWith('C')) i++;
    const path = parts[i++];
    if (path !== undefined) files.push({ status: status.slice(0, 1), path });
  }
  return files;
}
