import { Client, Connection } from '@temporalio/client';
import { connectionConfig } from '../config/connection';
import { EnvironmentError } from '../model/errors';

export interface Connected {
  client: Client;
  namespace: string;
  address: string;
  close(): Promise<void>;
}

/** A client for the configured Temporal server; a clear error when there is none. */
export async function connect(): Promise<Connected> {
  const cfg = connectionConfig();
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: cfg.address, connectTimeout: 5000, ...cfg.options });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw new EnvironmentError(
      `cannot reach Temporal at ${cfg.address}: ${(err as Error).message.split('\n')[0]}`,
      'Start a server with `nightshift server` (or set TEMPORAL_ADDRESS), and a worker with `nightshift worker`.',
    );
  }
  return {
    client: new Client({ connection, namespace: cfg.namespace }),
    namespace: cfg.namespace,
    address: cfg.address,
    close: () => connection.close(),
  };
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withClient<T>(fn: (c: Connected) => Promise<T>): Promise<T> {
  const c = await connect();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
