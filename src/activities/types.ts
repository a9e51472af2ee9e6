/** The contracts between the build workflow and its activities: plain JSON in, plain JSON out. */
import type { FailureClass, Usage } from '../agents/types';
import type { DevNoteCategory } from '../model/devNote';
import type { AgentSpec } from '../model/request';
import type { VerificationStep } from '../model/plan';
import type { BuildStatusView } from '../workflows/build/state';

export interface WorkspaceInput {
  label: string;
  repo: string;
  baseRef?: string;
  /** The remote checkpoints are pushed to (`origin` unless --remote); absent or null: no push (--no-push). */
  remote?: string | null;
}
export interface Workspace {
  path: string;
  branch: string;
  baseCommit: string;
  /** The host that prepared it (a worker with a host identity); its activities go to that host's queue. */
  host?: string;
  epoch?: number;
  /** The push remote, when the request asked for one and the repo has it. */
  remote?: { name: string; url: string } | null;
}
/** A workspace activity names the owner it expects: a worktree of another owner or epoch is refused. */
export interface OwnerCheck {
  label: string;
  host: string;
  epoch: number;
}

export interface SessionInput {
  owner?: OwnerCheck;
  workflowId: string;
  label: string;
  session: number;
  checkpointId: string;
  taskGroupId: string;
  worktree: string;
  prompt: string;
  agent: AgentSpec;
  /** How often, at most, the activity signals `progress` while the agent prints output. */
  progressEveryMs: number;
  /** Where the transcript and prompt go (default NIGHTSHIFT_HOME/builds/<label>/sessions). */
  sessionsDir?: string;
  /** The completion promise to look for: `<promise>TEXT</promise>` (default DONE). */
  completionPromise?: string;
  /** Extra environment for the agent (e.g. NIGHTSHIFT_LOOP_TASK). */
  env?: Record<string, string>;
  /** The agent's own session id, assigned before the first attempt (claude `--session-id`). */
  agentSessionId?: string;
  /** Resume this agent session instead of starting from the prompt (a retry). */
  resumeSessionId?: string;
  /** Stop the agent once it reports spending more than this (USD). */
  maxBudgetUsd?: number;
}
export interface SessionResult {
  session: number;
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  lastLine: string | null;
  stderrTail: string;
  devNotes: { category: DevNoteCategory; content: string }[];
  promiseSeen: boolean;
  transcript: string;
  costUsd: number | null;
  /** Tokens this session used, as the agent reported them (null when it does not). */
  usage?: Usage | null;
  turns: number | null;
  /** The agent's session/thread id, for `--resume` on a retry. */
  agentSessionId: string | null;
  model: string | null;
  /** Why it failed, when it did: decides retry, park (rate limit) or escalate. */
  failureClass: FailureClass | null;
  failureMessage: string | null;
  /** For `rate-limited`: when the limit resets (ISO), if the agent said. */
  resetAt: string | null;
  /** The resumed agent session no longer exists: the next attempt starts a fresh one. */
  sessionGone?: boolean;
}

export interface VerifyInput {
  owner?: OwnerCheck;
  label: string;
  checkpointId: string;
  attempt: number;
  worktree: string;
  steps: VerificationStep[];
  timeoutMs: number;
}
export interface VerifyStepResult {
  name: string;
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  outputTail: string;
}
export interface VerifyResult {
  passed: boolean;
  steps: VerifyStepResult[];
  log: string;
}

export interface CommitInput {
  owner?: OwnerCheck;
  label: string;
  runId: string;
  worktree: string;
  checkpointId: string;
  title: string;
  /** Seed-001 session files to bring up to date in the worktree before committing. */
  session?: SessionFilesUpdate;
}
export interface SessionFilesUpdate {
  dir: string;
  /** The person's checkout: session files not committed there are copied into the worktree first. */
  sourceRepo?: string;
  completedCheckpoints: string[];
  nextCheckpoint: string | null;
  devNotes: { scope: { type: string; ref: string | null }; category: string; content: string; at: string }[];
  summary: string;
  at: string;
}
export interface CommitResult {
  commit: string;
  created: boolean;
  /** What the commit changed (absent from workers before seed reports). */
  files?: { status: string; path: string }[];
}

export interface StashInput {
  owner?: OwnerCheck;
  worktree: string;
  message: string;
}

export interface NotifyInput {
  label: string;
  event: 'started' | 'completed' | 'failed' | 'cancelled' | 'stalled' | 'escalated' | 'paused' | 'awaiting-approval' | 'checkpoint-complete';
  message: string;
}

export interface RecordInput {
  view: BuildStatusView;
  /** A notification written with the files, in the same local activity (builds since lean history). */
  notify?: NotifyInput;
}

/** What the notify activities answer: whether this worker posts notifications to a webhook. */
export interface NotifyResult {
  webhook: boolean;
}

/** A checkpoint's verification and, when it passes, its commit: one activity (builds since lean history). */
export interface VerifyAndCommitInput {
  verify: VerifyInput;
  commit: CommitInput;
}
export interface VerifyAndCommitResult {
  verification: VerifyResult;
  /** Null when the verification failed: nothing was committed. */
  commit: CommitResult | null;
}
