import { Context } from '@temporalio/activity';

/**
 * An activity that heartbeats every second while it runs, so a worker killed in the middle of it is
 * noticed after the heartbeat timeout instead of the start-to-close timeout (5 minutes for the git
 * steps): the crash matrix's "worker killed while preparing the worktree / committing" trials.
 */
export function heartbeating<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const ctx = Context.current();
    ctx.heartbeat();
    const beat = setInterval(() => ctx.heartbeat(), 1000);
    try {
      return await fn(...args);
    } finally {
      clearInterval(beat);
    }
  };
}
