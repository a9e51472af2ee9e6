import { z } from 'zod';
import { LabelSchema, AgentSpecSchema, PolicySchema } from './request';

/**
 * Seed 003's multi-session loop: one `loopWorkflow` per task (workflow id `loop-<taskName>`, which is
 * the seed's one-runner lock). Files live in `<repo>/.autonomous/<taskName>/`.
 */
export const LoopRequestSchema = z.object({
  taskName: LabelSchema,
  task: z.string().trim().min(1, 'a loop needs a task description'),
  repo: z.string().min(1),
  mode: z.enum(['structured', 'lightweight']).default('structured'),
  /**
   * Who runs the sessions. Absent (headless): the loop runs the agent itself. `hook`: seed 003's hook
   * mode: a person's interactive Claude Code session in the repo works, and its Stop hook reports
   * each stop as an iteration (src/hooks/stopHook.ts); the loop answers block or stop.
   */
  execution: z.enum(['headless', 'hook']).optional(),
  /** Unlimited when absent, as in the seed. */
  maxSessions: z.number().int().positive().optional(),
  completionPromise: z.string().min(1).default('DONE'),
  /** A command that must also pass before a claimed completion is accepted. */
  verify: z.string().min(1).optional(),
  /** Completion criteria: the first items of the structured task list (queue entries use this). */
  criteria: z.array(z.string()).default([]),
  agent: AgentSpecSchema.default({ kind: 'scripted' }),
  policy: PolicySchema.default(PolicySchema.parse({})),
  /** USD per session (seed default 5.00) and for the whole loop; absent means no limit. */
  sessionBudgetUsd: z.number().positive().optional(),
  buildBudgetUsd: z.number().positive().optional(),
  /** One commit per session, `session-N: <summary>`, so no work is lost between sessions. */
  commitEachSession: z.boolean().default(true),
  /** Seed 000: append a `## Build Session: HH:MM — Title` entry to this file (relative to the repo) and commit it. */
  logFile: z.string().optional(),
  timeZone: z.string().default('UTC'),
});
export type LoopRequest = z.infer<typeof LoopRequestSchema>;
export type LoopRequestInput = z.input<typeof LoopRequestSchema>;

export type LoopStatus =
  | 'running'
  | 'rate-limited'
  | 'completed'
  | 'max-sessions-reached'
  | 'budget-exceeded'
  | 'awaiting-human'
  | 'failed'
  | 'cancelled';

export function loopWorkflowId(taskName: string): string {
  return `loop-${taskName}`;
}
