import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { git, gitOk, identityEnv } from './git';
import { checkOwner, writeOwner } from './owner';
import type { HomeLayout } from '../paths';
import type { StashInput, Workspace, WorkspaceInput } from '../types';

export function branchName(label: string): string {
  return `nightshift/${label}`;
}

/**
 * The build's own worktree on branch `nightshift/<label>`, so the person's checkout and current
 * branch are never touched. Idempotent: an existing worktree or branch is reused (resume, retry).
 */
export async function prepareWorkspace(layout: HomeLayout, input: WorkspaceInput, host?: string): Promise<Workspace> {
  // Side by side: the remote is only read, and a build's start waits for this activity.
  const [ws, remote] = await Promise.all([worktreeFor(layout, input), input.remote ? pushRemote(resolve(input.repo), input.remote) : null]);
  const withRemote = input.remote === undefined ? ws : { ...ws, remote };
  if (!host) return withRemote;
  // This host owns it now (epoch 1): its workspace activities go to this host's queue.
  writeOwner(ws.path, { label: input.label, host, epoch: 1 });
  return { ...withRemote, host, epoch: 1 };
}

/** The repo's remote to push checkpoints to, with its URL (a takeover clones it), or null when the repo has none. */
async function pushRemote(repo: string, name: string): Promise<{ name: string; url: string } | null> {
  const r = await git(repo, ['remote', 'get-url', name]);
  if (r.code !== 0 || !r.stdout.trim()) return null;
  const url = r.stdout.trim();
  // A local remote given relative to the repository must still be found from another directory.
  const local = !url.includes(':') && !isAbsolute(url);
  return { name, url: local ? resolve(repo, url) : url };
}

async function worktreeFor(layout: HomeLayout, input: WorkspaceInput): Promise<Workspace> {
  const repo = resolve(input.repo);
  const branch = branchName(input.label);
  // Read-only questions side by side: a build's start waits for this activity.
  const [top, baseCommit, branchRef] = await Promise.all([
    git(repo, ['rev-parse', '--show-toplevel']),
    git(repo, ['rev-parse', '--verify', `${input.baseRef ?? 'HEAD'}^{commit}`]),
    git(repo, ['rev-parse', '--verify', `refs/heads/${branch}`]),
  ]);
  if (!existsSync(repo) || top.code !== 0) {
    throw ApplicationFailure.nonRetryable(`${input.repo} is not a git repository`, 'InvalidRepo');
  }
  const path = layout.workspace(input.label);
  const base = input.baseRef ?? 'HEAD';
  if (baseCommit.code !== 0) {
    throw ApplicationFailure.nonRetryable(
      `${input.repo} has no commit at ${base}: a build branches from an existing commit`,
      'InvalidRepo',
    );
  }

  if (existsSync(path)) {
    const current = await git(path, ['rev-parse', '--abbrev-ref', 'HEAD']);
    if (current.code === 0 && current.stdout.trim() === branch) {
      return { path, branch, baseCommit: baseCommit.stdout.trim() };
    }
    throw ApplicationFailure.nonRetryable(`${path} exists but is not the worktree of ${branch}; remove it and retry`, 'InvalidRepo');
  }
  mkdirSync(dirname(path), { recursive: true });
  const add = (hasBranch: boolean) => (hasBranch ? ['worktree', 'add', path, branch] : ['worktree', 'add', '-b', branch, path, baseCommit.stdout.trim()]);
  if ((await git(repo, add(branchRef.code === 0))).code !== 0) {
    // A worktree deleted by hand is still registered (its branch "already checked out"): forget it, then add again.
    await git(repo, ['worktree', 'prune']);
    await gitOk(repo, add((await git(repo, ['rev-parse', '--verify', `refs/heads/${branch}`])).code === 0));
  }
  return { path, branch, baseCommit: baseCommit.stdout.trim() };
}

/** Keeps the uncommitted work of a skipped checkpoint in a stash instead of its successor's commit. */
export async function stashWork(input: StashInput): Promise<void> {
  checkOwner(input.worktree, input.owner);
  const status = await gitOk(input.worktree, ['status', '--porcelain']);
  if (!status) return;
  await gitOk(input.worktree, ['stash', 'push', '--include-untracked', '-m', input.message], await identityEnv(input.worktree));
}
