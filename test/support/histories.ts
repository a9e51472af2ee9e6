import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { findTemporalCli } from '../../src/server/temporalCli';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/**
 * With NIGHTSHIFT_RECORD_HISTORIES=1, saves the workflow's history from a real run into
 * test/histories/ (as `temporal workflow show --output json` writes it), where the replay test
 * picks it up on every run. Without it, does nothing.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.NIGHTSHIFT_RECORD_HISTORIES !== '1') return;
  const cli = findTemporalCli();
  if (!cli) throw new Error('no Temporal CLI to record histories with');
  const json = execFileSync(
    cli.path,
    ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', process.env.TEMPORAL_ADDRESS as string, '--output', 'json'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), json);
}
