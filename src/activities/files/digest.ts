import { execFile } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { type DigestView, digestEntry } from '../../model/digest';
import { queryStatusWithin } from './liveStatus';

export interface BuildDigest {
  view: DigestView;
  diffstat: string | null;
}

/** `3 files changed, 40 insertions(+), 2 deletions(-)` over a build's commits, when the repository is on this host. */
function diffstat(view: DigestView): Promise<string | null> {
  const commits = (view.checkpoints ?? []).map((c) => c.commit).filter((c): c is string => typeof c === 'string');
  const first = commits[0];
  const last = commits[commits.length - 1];
  if (!view.repo || !first || !last) return Promise.resolve(null);
  return new Promise((resolve) => {
    execFile('git', ['-C', view.repo as string, 'diff', '--shortstat', `${first}^`, last], { timeout: 10_000 }, (err, stdout) => resolve(err ? null : stdout.trim() || null));
  });
}

/** A build's digest: its `status` view (closed builds answer too) and diffstat; null when it does not answer in time. */
export async function buildDigest(client: Client, workflowId: string, timeoutMs = 3000): Promise<BuildDigest | null> {
  try {
    const view = await queryStatusWithin<DigestView>(client, workflowId, timeoutMs);
    return { view, diffstat: await diffstat(view) };
  } catch {
    return null;
  }
}

/** The digest section: builds waiting for the person first (with the command to act), then the others. */
export function renderDigest(digests: BuildDigest[]): string[] {
  if (digests.length === 0) return [];
  const waiting = digests.filter((d) => d.view.status === 'awaiting-human');
  const others = digests.filter((d) => d.view.status !== 'awaiting-human');
  const lines = ['## Digest', ''];
  if (waiting.length > 0) lines.push(`**${waiting.length} build(s) wait for you.**`, '');
  for (const d of [...waiting, ...others]) lines.push(...digestEntry(d.view, d.diffstat));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
