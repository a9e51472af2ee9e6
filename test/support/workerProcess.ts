import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');

/** `nightshift worker` as a real child process, so a test can SIGKILL it. */
export function startWorkerProcess(opts: { address: string; home: string; taskQueue: string; host?: string }): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [CLI, 'worker'], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: opts.address,
      NIGHTSHIFT_HOME: opts.home,
      NIGHTSHIFT_TASK_QUEUE: opts.taskQueue,
      NIGHTSHIFT_WORKFLOW_BUNDLE: process.env.NIGHTSHIFT_TEST_BUNDLE ?? '',
      ...(opts.host ? { NIGHTSHIFT_HOST: opts.host } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
