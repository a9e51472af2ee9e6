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

/** What a checkpoint's commit needs to know first: its earlier commit, if any, and the identity to commit with. */
export interface CommitLookup {
  existing: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** Read-only lookups, so `verifyAndCommit` runs them while the verification runs. */
export async function lookUpCommit(input: Pick<CommitInput, 'worktree' | 'runId' | 'checkpointId'>): Promise<CommitLookup> {
  const [existing, env] = await Promise.all([findCheckpointCommit(input.worktree, input.runId, input.checkpointId), identityEnv(input.worktree)]);
  return { existing, env };
}

/**
 * Exactly one commit per checkpoint, subject `checkpoint-<id>: <title>`. Idempotent: a retried
 * activity finds its own trailer on the branch and returns that commit instead of committing again.
 * A checkpoint whose agent changed nothing still gets its (empty) commit, so the history always
 * shows one commit per checkpoint.
 */
export async function commitCheckpoint(input: CommitInput, lookup?: CommitLookup): Promise<CommitResult> {
  const { existing, env } = lookup ?? (await lookUpCommit(input));
  if (existing) return { commit: existing, created: false, files: (await changedFiles(input.worktree, existing)).files };
  if (input.session) updateSessionFiles(input.worktree, input.session);
  await gitOk(input.worktree, ['add', '--all']);
  await gitOk(input.worktree, ['commit', '--allow-empty', '--no-verify', '-q', '-m', commitMessage(input)], env);
  // One git process names the new commit and what it changed.
  const { commit, files } = await changedFiles(input.worktree, 'HEAD');
  if (!commit) throw new Error(`git could not read the commit just made in ${input.worktree}`);
  return { commit, created: true, files };
}

/**
 * A commit's full hash and what it changed (`git diff-tree --name-status`), for seed 001's "Files
 * Created/Modified". At most 500 files.
 */
export async function changedFiles(worktree: string, rev: string): Promise<{ commit: string | undefined; files: { status: string; path: string }[] }> {
  // --always prints the commit's hash first, even for an empty commit.
  const r = await git(worktree, ['diff-tree', '-r', '--root', '--always', '--name-status', '-z', rev]);
  if (r.code !== 0) return { commit: undefined, files: [] };
  const [commit, ...parts] = r.stdout.split('\0').filter((p) => p !== '');
  const files: { status: string; path: string }[] = [];
  for (let i = 0; i < parts.length && files.length < 500; ) {
    const status = parts[i++] as string;
    // Renames and copies name the old path, then the new one.
    if (status.startsWith('R') || status.startsWith('C')) i++;
    const path = parts[i++];
    if (path !== undefined) files.push({ status: status.slice(0, 1), path });
  }
  return { commit: commit?.trim(), files };
}
