import { z } from 'zod';
import { AgentEnvSchema } from './agentEnv';
import { durationMs } from './duration';
import { PlanSchema } from './plan';

/** Labels become workflow ids (`build-<label>`), branch names and directory names. */
export const LabelSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected lowercase letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit');

export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug || 'build';
}

export const AGENT_KINDS = ['scripted', 'command', 'claude', 'codex', 'aider', 'gemini'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

/** Agents whose sessions can be resumed on a retry instead of starting from the prompt again. */
export const RESUMABLE_AGENTS: readonly AgentKind[] = ['claude', 'codex'];

export const AgentSpecSchema = z
  .object({
    kind: z.enum(AGENT_KINDS).default('scripted'),
    /** For `command`: `"<program> <args>"`, split like a shell splits words, never run through a shell. */
    command: z.string().min(1).optional(),
    /** For `scripted`: a scenario file that tells the built-in agent what to do (tests, demo, bench). */
    scenario: z.string().optional(),
    /** For a named agent CLI: the executable to run instead of `claude`, `codex`, ... on PATH. */
    bin: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    maxTurns: z.number().int().positive().optional(),
    permissionMode: z.string().min(1).optional(),
    allowedTools: z.array(z.string().min(1)).optional(),
    /** codex `-c approval_policy="never"`, gemini `--yolo`: the agent may act without asking (it cannot ask headless). */
    autoApprove: z.boolean().optional(),
    /** Plain settings for the agent's environment (`--env KEY=VALUE`); secrets are refused: they come from the worker side. */
    env: AgentEnvSchema.optional(),
    /** `--sandbox`: bwrap, none, or auto (bwrap when installed); unset: the worker's default (docs/security.md). */
    sandbox: z.enum(['auto', 'bwrap', 'none']).optional(),
    /** `--no-network`: false runs the agent without a network (bwrap `--unshare-net`). */
    network: z.boolean().optional(),
  })
  .refine((a) => a.kind !== 'command' || a.command !== undefined, {
    message: '--agent command needs --agent-command "<program> <args>"',
    path: ['command'],
  })
  // Without a model aider opens a browser to log in and waits for it: headless, that is forever.
  .refine((a) => a.kind !== 'aider' || a.model !== undefined, {
    message: '--agent aider needs --model (for example --model sonnet or --model openai/gpt-4.1): without one aider opens a browser to log in and waits',
    path: ['model'],
  });
export type AgentSpec = z.infer<typeof AgentSpecSchema>;

/** How hard a build tries before it asks the person. Durations are milliseconds once parsed. */
export const PolicySchema = z.object({
  maxAttempts: z.number().int().min(1).max(100).default(3),
  retryInterval: durationMs.default(5 * 60_000),
  stallTimeout: durationMs.default(4 * 3_600_000),
  verifyTimeout: durationMs.default(10 * 60_000),
  maxSessionTime: durationMs.default(12 * 3_600_000),
  /** USD one session may spend (the agent is stopped past it), and the whole build (no new session past it). */
  sessionBudgetUsd: z.number().positive().optional(),
  buildBudgetUsd: z.number().positive().optional(),
  /** How soon a dead worker's session is noticed (no heartbeat). */
  heartbeatTimeout: durationMs.default(30_000),
  /** How long a workspace activity waits for the host that owns the workspace before another host takes the build over. */
  hostTimeout: durationMs.default(2 * 60_000),
});
export type Policy = z.infer<typeof PolicySchema>;

export const BuildRequestSchema = z.object({
  label: LabelSchema,
  repo: z.string().min(1),
  baseRef: z.string().optional(),
  plan: PlanSchema,
  agent: AgentSpecSchema.default({ kind: 'scripted' }),
  policy: PolicySchema.default(PolicySchema.parse({})),
  /** Seed 001's `[checkpoint] [task_group]`: run only these. */
  only: z.object({ checkpoint: z.string().optional(), taskGroup: z.string().optional() }).optional(),
  /** Checkpoints already done before this build (seed 001's `plan_state`): shown, not run again. */
  completed: z.array(z.string()).default([]),
  /** `--gate checkpoint`: wait for `nightshift resume` after each checkpoint's commit (seed 001's one checkpoint per invocation). */
  gate: z.enum(['checkpoint']).optional(),
  /** Seed 001 session directory, relative to the repo (`agents/sessions/<id>`), kept up to date. */
  sessionDir: z.string().optional(),
  priority: z.enum(['high', 'medium', 'low']).optional(),
  /** `--remote NAME`: where each checkpoint is pushed (branch nightshift/<label>), when the repo has it. */
  remote: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/, 'expected a git remote name such as origin').default('origin'),
  /** `--no-push`: keep checkpoints local (no failover to another host then). */
  push: z.boolean().default(true),
  /** `.nightshift/config.json` `setup`: commands run once in each new worktree before the first session. */
  setup: z.array(z.string().min(1)).default([]),
  /** `--deliver CMD`: delivery by a command reading the build's summary (JSON) on stdin, instead of a pull request. */
  deliver: z.string().min(1).optional(),
});
export type BuildRequest = z.infer<typeof BuildRequestSchema>;
export type BuildRequestInput = z.input<typeof BuildRequestSchema>;
