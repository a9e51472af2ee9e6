import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createNightshiftWorker } from '../../src/worker/createWorker';
import { tempDir } from './repo';

/** Each test file gets its own connections; each test its own task queue and NIGHTSHIFT_HOME. */
export class TestEnv {
  private constructor(
    readonly client: Client,
    readonly connection: Connection,
    readonly nativeConnection: NativeConnection,
  ) {}

  static async connect(): Promise<TestEnv> {
    try {
      Runtime.install({ logger: new DefaultLogger((process.env.NIGHTSHIFT_TEST_LOG as 'INFO') ?? 'WARN') });
    } catch {
      /* already installed in this jest worker */
    }
    const address = process.env.TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEMPORAL_ADDRESS is not set: the global setup did not run');
    const connection = await Connection.connect({ address });
    const nativeConnection = await NativeConnection.connect({ address });
    return new TestEnv(new Client({ connection }), connection, nativeConnection);
  }

  async close(): Promise<void> {
    await this.connection.close();
    await this.nativeConnection.close();
  }

  taskQueue(): string {
    return `test-${randomUUID()}`;
  }

  /** A Nightshift worker in this process on the shared test bundle; `agentEnv` is the worker-side agent environment (secrets). */
  async worker(options: { taskQueue: string; home?: string; maxCachedWorkflows?: number; agentEnv?: Record<string, string> }): Promise<{ worker: Worker; home: string }> {
    const home = options.home ?? tempDir('home');
    const worker = await createNightshiftWorker({
      connection: this.nativeConnection,
      namespace: 'default',
      home,
      taskQueue: options.taskQueue,
      workflowBundle: { codePath: process.env.NIGHTSHIFT_TEST_BUNDLE as string },
      ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
      ...(options.agentEnv ? { agentEnv: options.agentEnv } : {}),
    });
    return { worker, home };
  }
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
