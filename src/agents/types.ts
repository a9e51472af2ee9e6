import type { DevNoteCategory } from '../model/devNote';

/**
 * Why a session failed, which decides what happens next:
 * - `transient`: crash, API error, network: retried by the build's policy;
 * - `rate-limited`: the agent says a usage limit resets at a time: the build waits until then
 *   (durable timer) and resumes the same session, without spending an attempt;
 * - `budget-exceeded`, `permission-blocked` (waiting for an approval that never comes headless),
 *   `stuck` (the same output session after session): straight to the person;
 * - `auth`: the agent has no valid login or API key: straight to the person with the fix, never
 *   spending an attempt (no retry logs it in).
 */
export const FAILURE_CLASSES = ['transient', 'rate-limited', 'budget-exceeded', 'permission-blocked', 'stuck', 'auth'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

/** Tokens summed over sessions (workflow-safe): what `status` shows next to the cost. */
export function addUsage(total: Usage | null | undefined, more: Usage | null | undefined): Usage {
  const n = (x: number | undefined): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0);
  return {
    inputTokens: n(total?.inputTokens) + n(more?.inputTokens),
    outputTokens: n(total?.outputTokens) + n(more?.outputTokens),
    cachedInputTokens: n(total?.cachedInputTokens) + n(more?.cachedInputTokens),
  };
}

/** What an adapter learns from an agent's output, line by line. Fields an agent never reports stay null. */
export interface ParsedOutput {
  devNotes: { category: DevNoteCategory; content: string }[];
  promiseSeen: boolean;
  /** The last meaningful line (assistant text or plain output), for status and stall messages. */
  lastLine: string | null;
  costUsd: number | null;
  turns: number | null;
  /** The agent's own session/thread id, used to resume it on retry. */
  sessionId: string | null;
  model: string | null;
  usage: Usage | null;
  /** The agent itself reported an error result (even if it exited 0). */
  isError: boolean;
  /** Set when the output says why it failed (error result, limit message, permission denial). */
  failureClass: FailureClass | null;
  failureMessage: string | null;
  /** For `rate-limited`: when the limit resets, ISO 8601, if the agent said. */
  resetAt: string | null;
  /** The session asked to resume no longer exists (claude: `No conversation found`): start fresh. */
  sessionGone: boolean;
  /**
   * For agents that report the whole thread's tokens (codex: `turn.completed` after `exec resume`
   * counts every earlier session too): that total, kept to subtract on the next resume (`priorUsage`).
   */
  threadUsage?: Usage | null;
}

export interface OutputParser {
  line(text: string, stream: 'stdout' | 'stderr'): void;
  result(): ParsedOutput;
}

/** Everything an adapter may put on the command line; unset options are left out of argv. */
export interface InvocationContext {
  prompt: string;
  promptFile: string;
  completionPromise: string;
  model?: string;
  maxTurns?: number;
  permissionMode?: string;
  allowedTools?: string[];
  maxBudgetUsd?: number;
  /** A session id Nightshift assigns before the first run (claude `--session-id`). */
  sessionId?: string;
  /** The agent's session/thread to resume on a retry (claude `--resume`, codex `exec resume`). */
  resumeSessionId?: string;
  /** With `resumeSessionId`: the thread's `threadUsage` when its last session ended. */
  priorUsage?: Usage;
  /** The agent may act without asking: codex `-c approval_policy="never"`, gemini `--yolo`. */
  autoApprove?: boolean;
  /** Nightshift runs the agent inside its own sandbox: an agent's own sandbox is then redundant (codex turns it off). */
  contained?: boolean;
}

/** One agent CLI: how to invoke it (argv, never a shell) and how to read what it prints. */
export interface AgentAdapter {
  readonly name: string;
  readonly supportsResume: boolean;
  argv(ctx: InvocationContext): string[];
  parser(ctx: InvocationContext): OutputParser;
  /** Environment the CLI needs to print readable output (aider: a wide COLUMNS, or its lines wrap). */
  env?(ctx: InvocationContext): Record<string, string>;
  /**
   * Caches the CLI writes into its working directory (aider's repo-map cache), relative to it: removed
   * after each session when the session created them, so no commit picks them up.
   */
  readonly scratchPaths?: readonly string[];
}

export function emptyParsedOutput(): ParsedOutput {
  return {
    devNotes: [],
    promiseSeen: false,
    lastLine: null,
    costUsd: null,
    turns: null,
    sessionId: null,
    model: null,
    usage: null,
    isError: false,
    failureClass: null,
    failureMessage: null,
    resetAt: null,
    sessionGone: false,
  };
}
