/**
 * The Stop hook's way to the loop workflow: Temporal's client, connected on first use with the
 * address and namespace the hook was installed with (TLS and API key from the environment, as the
 * CLI reads them). Every call is bounded by the hook's budget.
 */
import { Client, Connection, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { connectionConfig } from '../config/connection';
import type { StopAnswer } from '../model/hookLoop';
import type { Iteration } from '../model/payloads';
import { iterationUpdate } from '../workflows/loop/messages';
import { type HookArgs, LoopGone, type LoopRemote } from './stopHook';

export function temporalRemote(args: HookArgs, budgetMs: number): LoopRemote {
  const deadline = Date.now() + budgetMs;
  let client: Promise<Client> | undefined;
  const connect = (): Promise<Client> => {
    client ??= (async () => {
      let options: Record<string, unknown> = {};
      try {
        options = connectionConfig().options;
      } catch {
        // No profile to read: the address alone will do for a local server.
      }
      const connection = await Connection.connect({ ...options, address: args.address, connectTimeout: Math.max(1, deadline - Date.now()) });
      return new Client({ connection, namespace: args.namespace });
    })();
    return client;
  };
  const gone = (err: unknown): never => {
    if (err instanceof WorkflowUpdateFailedError) throw new LoopGone(`refused: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowNotFoundError || /not found|already completed/i.test((err as Error).message)) throw new LoopGone((err as Error).message);
    throw err;
  };
  return {
    async iteration(workflowId: string, payload: Iteration, updateId: string): Promise<StopAnswer> {
      const c = await connect();
      return c.connection
        .withDeadline(deadline, () => c.workflow.getHandle(workflowId).executeUpdate(iterationUpdate, { args: [payload], updateId }))
        .catch(gone);
    },
    async cancel(workflowId: string): Promise<void> {
      const c = await connect();
      await c.connection.withDeadline(deadline, () => c.workflow.getHandle(workflowId).cancel()).catch(gone);
    },
  };
}
