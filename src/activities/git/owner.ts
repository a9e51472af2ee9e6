import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { OwnerCheck } from '../types';

/**
 * Which host and takeover (epoch) a worktree belongs to, in a file next to it (never inside, so it
 * is never committed). Every workspace activity of a build that has hosts checks it first: a host
 * that comes back after another took its build over finds an older epoch and refuses, instead of
 * working in its stale worktree.
 */
const OwnerMarkerSchema = z.object({ label: z.string(), host: z.string(), epoch: z.number().int().positive(), at: z.string() });
export type OwnerMarker = z.infer<typeof OwnerMarkerSchema>;

export function ownerMarkerPath(worktree: string): string {
  return `${worktree.replace(/\/+$/, '')}.owner.json`;
}

export function writeOwner(worktree: string, owner: Omit<OwnerMarker, 'at'>): void {
  writeFileSync(ownerMarkerPath(worktree), `${JSON.stringify({ ...owner, at: new Date().toISOString() }, null, 2)}\n`);
}

export function readOwner(worktree: string): OwnerMarker | null {
  const file = ownerMarkerPath(worktree);
  if (!existsSync(file)) return null;
  try {
    const parsed = OwnerMarkerSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Refuses (StaleWorkspace, not retried) a worktree that is not the one the build expects. */
export function checkOwner(worktree: string, owner: OwnerCheck | undefined): void {
  if (!owner) return;
  const found = readOwner(worktree);
  if (found && found.label === owner.label && found.host === owner.host && found.epoch === owner.epoch) return;
  const what = found ? `belongs to host ${found.host}, epoch ${found.epoch}` : `has no owner marker (${ownerMarkerPath(worktree)})`;
  throw ApplicationFailure.nonRetryable(
    `the worktree ${worktree} ${what}, but build ${owner.label} is now owned by host ${owner.host}, epoch ${owner.epoch}: it is stale and is not used`,
    'StaleWorkspace',
  );
}

/** A workspace activity that first checks its worktree still belongs to the build's current owner. */
export function owned<I extends { worktree: string; owner?: OwnerCheck }, R>(run: (input: I) => Promise<R>): (input: I) => Promise<R> {
  return async (input: I) => {
    checkOwner(input.worktree, input.owner);
    return run(input);
  };
}
