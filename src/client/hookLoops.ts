/**
 * `nightshift loop --hook` and `nightshift loop --cancel`: the client side of seed 003's hook mode.
 * Starting installs the Stop hook into the repo's `.claude/settings.local.json` (merged) and writes the
 * local state file next to it; cancelling cancels the workflow and takes both out again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ConflictError, NotFoundError } from '../model/errors';
import { HOOK_STATE_FILE, hookPrompt } from '../model/hookLoop';
import { type LoopRequest, loopWorkflowId } from '../model/loopRequest';
import { installStopHook, readSettings, removeStopHook, settingsPath } from '../hooks/settings';
import { excludeHookFiles, hookStatePath, readHookState, removeHookState, writeHookState } from '../hooks/stateFile';
import { LOOP_MEMO } from '../workflows/loop/messages';
import { type LoopMemo, parseLoopRequest, startLoop } from './loops';

/** dist/src/hooks/stopHook.js, which Claude Code runs with node (from src/ under jest: the built one). */
export function stopHookScript(): string {
  const beside = join(__dirname, '..', 'hooks', 'stopHook.js');
  return existsSync(beside) ? beside : join(__dirname, '..', '..', 'dist', 'src', 'hooks', 'stopHook.js');
}

export interface HookLoopInput {
  taskName: string;
  task: string;
  repo: string;
  maxIterations?: number;
  completionPromise?: string;
}

export interface StartedHookLoop {
  request: LoopRequest;
  workflowId: string;
  runId: string;
  settingsFile: string;
  stateFile: string;
  prompt: string;
}

/**
 * Starts `loop-<taskName>` in hook mode and installs its Stop hook. One hook-mode loop per repo (its
 * state file is the seed's single `.claude/autonomous-loop.local.md`). The settings are read before
 * anything starts, so a broken settings file stops it with nothing to undo.
 */
export async function startHookLoop(client: Client, input: HookLoopInput, temporal: { address: string; namespace: string }, options: { taskQueue?: string } = {}): Promise<StartedHookLoop> {
  readSettings(settingsPath(input.repo));
  const existing = readHookState(input.repo);
  if (existing.kind !== 'absent') {
    const name = existing.kind === 'ok' ? existing.state.taskName : 'unknown';
    throw new ConflictError(
      `${input.repo} already has a hook-mode loop (${name}, ${HOOK_STATE_FILE})`,
      existing.kind === 'ok' ? `Cancel it first: nightshift loop --cancel ${name}` : `Delete ${hookStatePath(input.repo)} if no loop runs there.`,
    );
  }
  const request = parseLoopRequest(
    {
      taskName: input.taskName,
      task: input.task,
      repo: input.repo,
      mode: 'lightweight',
      execution: 'hook',
      ...(input.maxIterations ? { maxSessions: input.maxIterations } : {}),
      ...(input.completionPromise ? { completionPromise: input.completionPromise } : {}),
      commitEachSession: false,
      agent: { kind: 'claude' },
    },
    '--task-name',
  );
  const handle = await startLoop(client, request, options);
  const prompt = hookPrompt(request);
  try {
    writeHookState(input.repo, {
      taskName: request.taskName,
      workflowId: handle.workflowId,
      task: request.task,
      prompt,
      completionPromise: request.completionPromise,
      maxIterations: request.maxSessions ?? null,
      iterations: 0,
      temporal,
      startedAt: new Date().toISOString(),
    });
    installStopHook({ script: stopHookScript(), taskName: request.taskName, repo: input.repo, ...temporal });
    excludeHookFiles(input.repo);
  } catch (err) {
    // Nothing half-installed: no hook without its loop, no loop without its hook.
    removeHookState(input.repo, request.taskName);
    await handle.cancel().catch(() => undefined);
    throw err;
  }
  return { request, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, settingsFile: settingsPath(input.repo), stateFile: hookStatePath(input.repo), prompt };
}

export interface CancelledLoop {
  taskName: string;
  /** False when the loop had already ended. */
  cancelled: boolean;
  /** Hook mode: whether the Stop hook and the state file were still there and are now gone. */
  hookRemoved: boolean;
  stateRemoved: boolean;
}

/** Cancels `loop-<taskName>` (any loop); for a hook-mode loop also removes its hook and state file here. */
export async function cancelLoop(client: Client, taskName: string): Promise<CancelledLoop> {
  const handle = client.workflow.getHandle(loopWorkflowId(taskName));
  let described;
  try {
    described = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /not found/i.test((err as Error).message)) {
      throw new NotFoundError(`no loop named "${taskName}"`, 'List loops with `nightshift loop --list`.');
    }
    throw err;
  }
  const running = described.status.name === 'RUNNING';
  if (running) await handle.cancel();
  const memo = described.memo?.[LOOP_MEMO] as LoopMemo | undefined;
  const request = memo ? parseLoopRequest(memo.request) : undefined;
  if (request?.execution !== 'hook') return { taskName, cancelled: running, hookRemoved: false, stateRemoved: false };
  return { taskName, cancelled: running, hookRemoved: removeStopHook(request.repo, taskName), stateRemoved: removeHookState(request.repo, taskName) };
}
