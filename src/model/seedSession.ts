import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidDocumentError, InvalidInputError, NotFoundError } from './errors';
import { jsonSyntaxProblem } from './jsonText';
import type { Plan } from './plan';
import { parsePlanText } from './planFile';

/**
 * Seed 001's `/session:build-background <session-id> [checkpoint] [task_group]`: the same checks, in
 * the same words, before anything is started.
 */
export interface SeedTarget {
  plan: Plan;
  /** The session directory relative to the repo, kept up to date by the build. */
  sessionDir: string;
  only?: { checkpoint?: string; taskGroup?: string };
  /** Checkpoints `plan_state` (or plan.json) already records as completed. */
  completed: string[];
}

interface SeedState {
  phases?: { plan?: { status?: string } };
  plan_state?: { checkpoints_completed?: (string | number)[]; current_checkpoint?: string | number | null };
}

export function loadSeedSession(
  repo: string,
  sessionId: string,
  opts: { sessionsDir?: string; checkpoint?: string; taskGroup?: string } = {},
): SeedTarget {
  if (!sessionId) throw new InvalidInputError('Session ID required. Usage: `nightshift start --session ID [--checkpoint N] [--task-group X.Y]`');
  if (opts.checkpoint !== undefined && !/^\d+$/.test(opts.checkpoint)) {
    throw new InvalidInputError(`expected a checkpoint number, e.g. "2", got "${opts.checkpoint}"`, '--checkpoint');
  }
  if (opts.taskGroup !== undefined && !/^\d+\.\d+$/.test(opts.taskGroup)) {
    throw new InvalidInputError(`expected a task group id like "2.1", got "${opts.taskGroup}"`, '--task-group');
  }
  if (opts.taskGroup !== undefined && opts.checkpoint === undefined) {
    throw new InvalidInputError('--task-group needs --checkpoint (as the seed: [checkpoint] [task_group])', '--task-group');
  }
  const sessionsDir = opts.sessionsDir ?? join(repo, 'agents', 'sessions');
  const dir = join(sessionsDir, sessionId);
  const statePath = join(dir, 'state.json');
  if (!existsSync(statePath)) {
    throw new NotFoundError(
      `Session '${sessionId}' not found. Check the ID or use \`/session:spec\` to create a new session.`,
      `Looked for ${statePath}.`,
    );
  }
  let state: SeedState;
  const stateText = readFileSync(statePath, 'utf8');
  try {
    state = JSON.parse(stateText) as SeedState;
  } catch (err) {
    throw new InvalidDocumentError(statePath, [jsonSyntaxProblem(err, stateText)], `Fix the file, or recreate the session with \`/session:spec\`.`);
  }
  if (!state || typeof state !== 'object' || Array.isArray(state)) {
    throw new InvalidDocumentError(statePath, ['(root): expected an object like {"phases": {"plan": {"status": "finalized"}}, ...}'], 'Fix the file, or recreate the session with `/session:spec`.');
  }
  const planPath = join(dir, 'plan.json');
  if (!existsSync(planPath)) throw new NotFoundError(`Session '${sessionId}' has no plan.json (${planPath}).`);
  if (state.phases?.plan?.status !== 'finalized') {
    throw new InvalidInputError(`Plan is not finalized. Use \`/session:plan ${sessionId} finalize\` first.`);
  }
  const done = state.plan_state?.checkpoints_completed;
  if (done !== undefined && done !== null && !Array.isArray(done)) {
    throw new InvalidDocumentError(statePath, [`plan_state.checkpoints_completed: expected a list of checkpoint numbers, got ${JSON.stringify(done)}`]);
  }
  const plan = parsePlanText(readFileSync(planPath, 'utf8'), planPath);
  return { plan, sessionDir: relative(repo, dir), completed: completedCheckpoints(plan, state), ...target(plan, opts) };
}

function target(plan: Plan, opts: { checkpoint?: string; taskGroup?: string }): { only?: SeedTarget['only'] } {
  if (opts.checkpoint === undefined) return {};
  const cp = plan.checkpoints.find((c) => c.id === opts.checkpoint);
  if (!cp) {
    throw new NotFoundError(
      `Checkpoint ${opts.checkpoint} not found in plan. Available: ${plan.checkpoints.map((c) => c.id).join(', ')}`,
    );
  }
  if (opts.taskGroup === undefined) return { only: { checkpoint: cp.id } };
  if (!cp.task_groups.some((g) => g.id === opts.taskGroup)) {
    throw new NotFoundError(
      `TaskGroup ${opts.taskGroup} not found in checkpoint ${cp.id}. Available: ${cp.task_groups.map((g) => g.id).join(', ')}`,
    );
  }
  return { only: { checkpoint: cp.id, taskGroup: opts.taskGroup } };
}

function completedCheckpoints(plan: Plan, state: SeedState): string[] {
  const done = new Set((state.plan_state?.checkpoints_completed ?? []).map(String));
  for (const cp of plan.checkpoints) if (cp.status === 'completed') done.add(cp.id);
  return plan.checkpoints.filter((c) => done.has(c.id)).map((c) => c.id);
}
