/**
 * Seed 003's hook mode: an interactive Claude Code session in the repository does the work, and its
 * Stop hook asks the loop, each time the session tries to stop, whether it may. Pure (zod only), so
 * the loop workflow, the CLI and the hook script share the one rule and the one prompt.
 */
import { z } from 'zod';
import { containsPromise } from './taskList';

/** Relative to the repository: the settings Claude Code reads (never committed) and the loop's local state. */
export const SETTINGS_FILE = '.claude/settings.local.json';
export const HOOK_STATE_FILE = '.claude/nightshift-loop.local.json';

/**
 * What the hook keeps next to the settings: enough to decide without Temporal (the local rule), and
 * whose deletion cancels the loop (seed 003: `rm .claude/autonomous-loop.local.md`).
 */
export const HookStateSchema = z.object({
  taskName: z.string().min(1),
  workflowId: z.string().min(1),
  task: z.string(),
  /** Handed back to the session each time a stop is blocked. */
  prompt: z.string().min(1),
  completionPromise: z.string().min(1),
  /** Null: unlimited, as in the seed. */
  maxIterations: z.number().int().positive().nullable(),
  /** Stops recorded so far (the workflow's count when it answered, else the local rule's). */
  iterations: z.number().int().nonnegative(),
  temporal: z.object({ address: z.string().min(1), namespace: z.string().min(1) }),
  startedAt: z.string(),
});
export type HookState = z.infer<typeof HookStateSchema>;

/** The hook's network budget never exceeds this, well inside Claude Code's hook timeout (30 s as installed). */
export const MAX_HOOK_BUDGET_MS = 20_000;

/** How a stop ends the loop: the statuses a hook-mode loop finishes with. */
export type HookEnd = 'completed' | 'max-sessions-reached' | 'cancelled';

/** The loop's answer to one stop: block it and hand the prompt back, or let the session end. */
export type StopAnswer =
  | { decision: 'block'; iteration: number; prompt: string }
  | { decision: 'allow'; iteration: number; status: HookEnd; reason: string };

/**
 * Whether the agent's last message holds `<promise>TEXT</promise>`: the headless loop's test
 * (taskList.ts `containsPromise`: whitespace runs count as one, a tag quoted in code does not count).
 */
export function promiseIn(message: string | null | undefined, completionPromise: string): boolean {
  return message ? containsPromise(message, completionPromise) : false;
}

/**
 * The rule, for the workflow and for the hook when Temporal cannot be reached: the promise ends the
 * loop as completed; otherwise the iteration limit ends it; otherwise the stop is blocked.
 */
export function decideStop(input: { iteration: number; maxIterations: number | null; promiseSeen: boolean; prompt: string }): StopAnswer {
  const { iteration, maxIterations } = input;
  if (input.promiseSeen) return { decision: 'allow', iteration, status: 'completed', reason: `iteration ${iteration}: completion promise` };
  if (maxIterations !== null && iteration >= maxIterations) {
    return { decision: 'allow', iteration, status: 'max-sessions-reached', reason: `ran ${iteration} of at most ${maxIterations} iterations without completion` };
  }
  return { decision: 'block', iteration, prompt: input.prompt };
}

/** The prompt handed back at each blocked stop: the same every time (seed 003's hook mode is Ralph-style). */
export function hookPrompt(input: { taskName: string; task: string; completionPromise: string }): string {
  return [
    `# Task: ${input.taskName}`,
    '',
    input.task.trim(),
    '',
    '## How to work',
    '',
    'You are in a Nightshift hook-mode loop: each time you stop, this prompt comes back until the task is',
    'done. Look at the repository and its git history to see what you did so far, then make the next',
    'concrete step of progress.',
    '',
    '## Completion',
    '',
    `When, and only when, the whole task is genuinely complete, print <promise>${input.completionPromise}</promise> on a line of its own.`,
    'Never print it to end the loop early.',
  ].join('\n');
}

/** Claude Code's Stop hook output (stdout JSON): `decision: block` with a reason keeps the session going. */
export function hookOutput(answer: StopAnswer, message?: string): Record<string, string> {
  const shown: Record<string, string> = message ? { systemMessage: message } : {};
  return answer.decision === 'block' ? { decision: 'block', reason: answer.prompt, ...shown } : shown;
}
