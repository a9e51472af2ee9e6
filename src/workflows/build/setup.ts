import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities } from './runtime';
import { now } from './runtime';
import { named } from '../shared/markers';
import { addDevNote, type BuildState, type Decision, type WaitReason } from './state';
import { dispatched } from '../shared/dispatch';

/** What the setup step needs from the build: its escalation (the person decides) and its progress file. */
export interface SetupHooks {
  awaitHuman(reason: WaitReason, step: string, message: string): Promise<Decision>;
  record(): Promise<void>;
  setStatus(status: BuildState['status']): void;
  /** Sends the activity to the worktree's host, and proves ownership there (buildHosts.ts). */
  route?(): { taskQueue?: string; scheduleToStartTimeout?: number };
  ownerInput?(): object;
}

/** Which worktree was set up: a takeover on another host (a new epoch) is a new worktree. */
export function setupKey(ws: { path: string; host?: string; epoch?: number }): string {
  return `${ws.host ?? ''}#${ws.epoch ?? 0}#${ws.path}`;
}

/**
 * The repository's setup commands (`.nightshift/config.json` `setup`, e.g. `npm ci`), run once in
 * each new worktree before the first session. A failure goes to the person with its output
 * (`setup-failed`): `retry` runs the commands again; `override` or `skip` goes on without them,
 * leaving a DevNote. A build without setup commands schedules nothing here (old histories replay).
 */
export async function runSetup(state: BuildState, hooks: SetupHooks): Promise<void> {
  const commands = state.request.setup ?? [];
  const ws = state.workspace;
  if (commands.length === 0 || !ws || state.setupDone === setupKey(ws)) return;
  const timeoutMs = state.request.policy.verifyTimeout;
  const act = proxyActivities<Activities>(dispatched({
    startToCloseTimeout: timeoutMs * commands.length + 60_000,
    heartbeatTimeout: state.request.policy.heartbeatTimeout,
    retry: { maximumAttempts: 3, initialInterval: '1s' },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    ...(hooks.route?.() ?? {}),
  }));
  for (let attempt = 1; ; attempt++) {
    const result = await named(
      act.runVerification,
      `setup: ${commands.join(' && ')}${attempt > 1 ? ` · attempt ${attempt}` : ''}`,
      {
        ...(hooks.ownerInput?.() ?? {}),
        label: state.label,
        checkpointId: 'setup',
        attempt,
        worktree: ws.path,
        steps: commands.map((c) => ({ name: c, run: c })),
        timeoutMs,
      },
    );
    if (result.passed) break;
    const failing = result.steps
      .filter((r) => !r.passed)
      .map((r) => `$ ${r.name}${r.timedOut ? ' (timed out)' : ` (exit ${r.exitCode})`}\n${r.outputTail}`)
      .join('\n');
    state.lastError = failing.length > 2000 ? `…${failing.slice(-2000)}` : failing;
    const decision = await hooks.awaitHuman(
      'setup-failed',
      'setup',
      `the repository's setup failed in ${ws.path}:\n${failing}`,
    );
    if (decision.kind === 'retry') continue;
    addDevNote(
      state,
      'deviation',
      `setup not done (${decision.kind}): ${decision.note}`,
      { type: 'session', ref: 'setup' },
      now(),
    );
    break;
  }
  state.setupDone = setupKey(ws);
  hooks.setStatus('running');
  await hooks.record();
}
