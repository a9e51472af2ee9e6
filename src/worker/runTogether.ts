import type { Worker } from '@temporalio/worker';

/** Runs workers side by side; when one stops (a signal stops both, an error one), the other is shut down too. */
export async function runTogether(...workers: Worker[]): Promise<void> {
  const runs = workers.map((w) =>
    w.run().finally(() => {
      for (const other of workers) if (other !== w && other.getState() === 'RUNNING') other.shutdown();
    }),
  );
  const results = await Promise.allSettled(runs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
