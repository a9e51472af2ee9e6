/**
 * The sandbox of one agent session, as the session activity uses it: the argv and environment to
 * spawn, the transcript header line, a warning for `status` when `auto` ran unsandboxed, or the
 * reason the session cannot start (`--sandbox bwrap` without bwrap) for the person.
 */
import { join } from 'node:path';
import type { SandboxMode } from '../../agents/sandbox';
import { sandboxArgv, sandboxSummary } from '../../agents/sandbox';
import type { HomeLayout } from '../paths';
import { prepareSandbox } from './sandboxSetup';
import type { SessionInput, SessionResult } from '../types';
import { notStartedSession } from './notStarted';

/** The worker's default for requests that do not name a mode: `nightshift worker --sandbox`, NIGHTSHIFT_SANDBOX, else auto. */
export function workerSandboxDefault(given?: SandboxMode): SandboxMode {
  if (given) return given;
  const fromEnv = process.env.NIGHTSHIFT_SANDBOX;
  return fromEnv === 'bwrap' || fromEnv === 'none' || fromEnv === 'auto' ? fromEnv : 'auto';
}

export interface SessionSandbox {
  /** The agent runs inside bwrap (its own sandbox, if any, should stand down). */
  contained: boolean;
  /** The command line to spawn for the agent's argv. */
  wrap: (argv: string[]) => string[];
  env: NodeJS.ProcessEnv;
  header: string;
  /** `auto` fell back to no sandbox: shown in `status` as a DevNote and in the transcript. */
  warning?: string;
  /** The session cannot start: the person is asked at once with this reason. */
  refusal?: string;
  release: () => void;
}

export async function sessionSandbox(
  layout: HomeLayout,
  input: SessionInput,
  env: NodeJS.ProcessEnv,
  promptFile: string,
  workerDefault?: SandboxMode,
): Promise<SessionSandbox> {
  // The built-in scripted agent is Nightshift's own test double (demo, tests, bench): unsandboxed unless asked.
  const mode = input.agent.sandbox ?? (input.agent.kind === 'scripted' ? 'none' : workerSandboxDefault(workerDefault));
  const tmpDir = join(layout.buildDir(input.label), 'tmp', `session-${input.session}`);
  const decision = await prepareSandbox({
    mode,
    kind: input.agent.kind,
    network: input.agent.network !== false,
    worktree: input.worktree,
    env,
    nightshiftHome: layout.home,
    promptFile,
    tmpDir,
  });
  const asIs = (argv: string[]): string[] => argv;
  switch (decision.kind) {
    case 'none':
      return {
        contained: false,
        wrap: asIs,
        env,
        header: `# sandbox: none${decision.warning ? ` (WARNING: ${decision.warning})` : input.agent.sandbox || input.agent.kind !== 'scripted' ? ` (--sandbox ${mode})` : ' (the built-in scripted agent)'}\n`,
        ...(decision.warning ? { warning: decision.warning } : {}),
        release: () => undefined,
      };
    case 'unavailable':
      return { contained: false, wrap: asIs, env, header: `# sandbox: refused: ${decision.message}\n`, refusal: decision.message, release: () => undefined };
    case 'bwrap':
      return {
        contained: true,
        wrap: (argv) => sandboxArgv({ ...decision.plan, command: argv }),
        env: { ...env, TMPDIR: tmpDir },
        header: `# sandbox: ${sandboxSummary(decision.plan)}\n`,
        release: decision.release,
      };
  }
}

/** A session that never started because its sandbox cannot run here: the person decides, no attempt spent. */
export function refusedSession(input: SessionInput, transcript: string, message: string): SessionResult {
  // Escalated at once like an approval that cannot come: retrying on the same worker cannot help.
  return notStartedSession(input, { lastLine: null, transcript, failureClass: 'permission-blocked', failureMessage: message, resetAt: null });
}
