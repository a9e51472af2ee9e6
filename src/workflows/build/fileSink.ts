import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { RecordInput } from '../../activities/types';

/**
 * The files people read (progress.md, status.json, dev-notes.json), written by the worker right
 * after the workflow task that changed the state: no local activity, no history event, no round
 * trip. A view of the state, so a write skipped while a worker replays is made good by the next one
 * (patch `nightshift-files-by-sink`; docs/architecture.md "History of a checkpoint").
 */
export interface BuildFileSinks extends Sinks {
  buildFiles: { record(input: RecordInput): void };
}

export const { buildFiles } = proxySinks<BuildFileSinks>();
