/**
 * Chained builds (`nightshift add --after LABEL`): an entry starts only once LABEL has completed, and
 * branches from LABEL's branch (`nightshift/<LABEL>`), so the work stacks. Pure: the queue's
 * admission and view call these with its state.
 */
import type { QueueState } from './state';

export interface ChainBlock {
  code: 'after';
  message: string;
}

/** The branch a chained entry starts from. */
export function chainBase(after: string): string {
  return `nightshift/${after}`;
}

/** Why an entry with `after` cannot start yet, or null when LABEL has completed (or it has no `after`). */
export function chainBlock(state: QueueState, after: string | undefined): ChainBlock | null {
  if (!after) return null;
  const block = (message: string): ChainBlock => ({ code: 'after', message });
  if (state.active.some((a) => a.entry.label === after)) return block(`waits for "${after}" to complete (building now)`);
  const waiting = state.waiting.find((w) => w.entry.label === after);
  if (waiting?.hold) return block(`waits for "${after}", which failed and needs attention: ${waiting.hold}`);
  if (waiting?.notBefore) return block(`waits for "${after}", which failed and is retried at ${waiting.notBefore}`);
  if (waiting) return block(`waits for "${after}" to complete (still queued)`);
  const last = state.recent.find((c) => c.label === after);
  if (!last) return block(`waits for "${after}", which this queue does not know: add it, or remove this entry`);
  if (last.outcome === 'completed') return null;
  return block(`waits: "${after}" ${last.outcome === 'cancelled' ? 'was cancelled' : `ended ${last.outcome}${last.error ? ` (${last.error.slice(0, 200)})` : ''}`}; run it again, or remove this entry`);
}

/** Refused at enqueue: an `after` the queue has never heard of, or that is the entry itself. */
export function chainProblem(state: QueueState, entry: { label: string; after?: string | undefined; kind: string }, baseRef: string | undefined): string | undefined {
  const { label, after } = entry;
  if (!after) return undefined;
  if (entry.kind !== 'plan') return `--after ${after} goes with --plan: a loop works on the repository's branch, not on a stacked one`;
  if (after === label) return `--after ${after}: an entry cannot wait for itself`;
  if (baseRef) return `--after ${after} branches from nightshift/${after}: give --after or --base, not both`;
  const known = state.active.some((a) => a.entry.label === after) || state.waiting.some((w) => w.entry.label === after) || state.recent.some((c) => c.label === after);
  if (!known) return `--after ${after}: queue "${state.name}" has no entry "${after}" (see \`nightshift status --queue\`)`;
  return undefined;
}
