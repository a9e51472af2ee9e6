import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './activities';

const act = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/**
 * The floor of any Temporal design (bench only): the bash loop's work, one checkpoint per activity
 * (the agent, `sh -c true`, `git add` and `git commit`), and nothing else: no state, files, timers
 * or search attributes.
 */
export async function floorOneActivity(checkpoints: number, repo: string, scenario: string): Promise<void> {
  for (let i = 1; i <= checkpoints; i++) await act.checkpoint(repo, scenario, i);
}

/** The same split as a build: the agent's session, then verification and commit, as two activities. */
export async function floorTwoActivities(checkpoints: number, repo: string, scenario: string): Promise<void> {
  for (let i = 1; i <= checkpoints; i++) {
    await act.session(repo, scenario, i);
    await act.verifyAndCommit(repo, i);
  }
}
