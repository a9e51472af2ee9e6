import { execFile } from 'node:child_process';
import { findTemporalCli } from '../../src/server/temporalCli';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `temporal` CLI against the test server (asynchronously: the worker runs in this
 * process, and an update waits for it to answer).
 */
export function temporal(args: string[]): Promise<CommandResult> {
  const cli = findTemporalCli();
  if (!cli) throw new Error('no Temporal CLI: set TEMPORAL_CLI or build one with `nightshift server` first');
  const address = process.env.TEMPORAL_ADDRESS as string;
  return new Promise((resolve) => {
    execFile(
      cli.path,
      [...args, '--address', address],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `temporal workflow signal` with a raw JSON input as someone would type it (or no input at all). */
export function rawSignal(workflowId: string, name: string, input?: string): Promise<CommandResult> {
  return temporal([
    'workflow',
    'signal',
    '--workflow-id',
    workflowId,
    '--name',
    name,
    ...(input === undefined ? [] : ['--input', input]),
  ]);
}

/** `temporal workflow update execute` with a raw JSON input. */
export function rawUpdate(workflowId: string, name: string, input?: string): Promise<CommandResult> {
  return temporal([
    'workflow',
    'update',
    'execute',
    '--workflow-id',
    workflowId,
    '--name',
    name,
    ...(input === undefined ? [] : ['--input', input]),
  ]);
}
