import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { readTaskDir, readTaskDirs } from '../activities/loop/files';
import { taskQueue } from '../config/connection';
import { ConflictError, InvalidDocumentError, NotFoundError } from '../model/errors';
import { type LoopRequest, type LoopRequestInput, LoopRequestSchema, loopWorkflowId } from '../model/loopRequest';
import { describeIssues } from '../model/zodIssues';
import { loopWorkflow } from '../workflows/loop/loop';
import { LOOP_MEMO, loopStatusQuery } from '../workflows/loop/messages';
import { initialLoopState, type LoopCounters, type LoopStatusView } from '../workflows/loop/state';
import { NightshiftLabel, NightshiftStatus } from '../workflows/shared/searchAttributes';

/** What each loop run keeps in its memo (see loopWorkflow's `publish`). */
export interface LoopMemo {
  request: LoopRequest;
  status: string;
  counters: LoopCounters;
  checkboxes: { done: number; total: number } | null;
}

export function parseLoopRequest(input: LoopRequestInput, source = 'loop request'): LoopRequest {
  const parsed = LoopRequestSchema.safeParse(input);
  if (!parsed.success) throw new InvalidDocumentError(source, describeIssues(parsed.error));
  return parsed.data;
}

function runnerConflict(taskName: string): ConflictError {
  return new ConflictError(
    `task ${taskName} already has a runner (${loopWorkflowId(taskName)}); use --continue after it stops or \`nightshift loop --list\``,
    `Watch it with \`nightshift loop --status ${taskName}\`.`,
  );
}

async function describeLoop(client: Client, taskName: string) {
  try {
    return await client.workflow.getHandle(loopWorkflowId(taskName)).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /not found/i.test((err as Error).message)) return undefined;
    throw err;
  }
}

type LoopHandle = WorkflowHandleWithFirstExecutionRunId<typeof loopWorkflow>;

/**
 * Starts `loop-<taskName>`. The workflow id is the seed's run.lock: a running loop for the task is a
 * conflict, and so is a task that ran before (its counters would silently restart from zero):
 * that one is carried on with `--continue`.
 */
export async function startLoop(client: Client, request: LoopRequest, options: { taskQueue?: string } = {}): Promise<LoopHandle> {
  const previous = await describeLoop(client, request.taskName);
  if (previous?.status.name === 'RUNNING') throw runnerConflict(request.taskName);
  if (previous) {
    throw new ConflictError(
      `task ${request.taskName} has run before (${previous.status.name.toLowerCase()})`,
      `Carry it on with \`nightshift loop --continue ${request.taskName}\`, or pick another --task-name.`,
    );
  }
  return launch(client, request, undefined, options);
}

/**
 * A new runner for a stopped task, carrying its counters (sessions, cost, false completions) from
 * the previous run's memo, which every run keeps up to date, whether it completed, stopped or was
 * cancelled. `overrides` replace settings of the previous request (e.g. a new --max-sessions).
 */
export async function continueLoop(
  client: Client,
  taskName: string | undefined,
  overrides: Partial<LoopRequestInput> = {},
  options: { taskQueue?: string } = {},
): Promise<{ handle: LoopHandle; request: LoopRequest; counters: LoopCounters }> {
  const name = taskName ?? (await mostRecentLoop(client));
  const previous = await describeLoop(client, name);
  if (!previous) throw new NotFoundError(`no loop named "${name}"`, 'List loops with `nightshift loop --list`.');
  if (previous.status.name === 'RUNNING') throw runnerConflict(name);
  const memo = previous.memo?.[LOOP_MEMO] as LoopMemo | undefined;
  if (!memo) throw new NotFoundError(`loop ${name} left no state to continue from`, 'Start it again with another --task-name.');
  if (memo.request.execution === 'hook') {
    // Its hook and state file went with it; a new hook-mode loop installs them again.
    throw new ConflictError(`loop ${name} ran in hook mode, which --continue does not carry on`, `Start a new one: nightshift loop --hook "${memo.request.task.split('\n')[0]}" --repo ${memo.request.repo} --task-name ${name}-2`);
  }
  const request = parseLoopRequest({ ...memo.request, ...overrides }, `--continue ${name}`);
  const carried = initialLoopState(request, loopWorkflowId(name), new Date().toISOString(), memo.counters);
  return { handle: await launch(client, request, carried, options), request, counters: memo.counters };
}

async function launch(
  client: Client,
  request: LoopRequest,
  carried: ReturnType<typeof initialLoopState> | undefined,
  options: { taskQueue?: string },
): Promise<LoopHandle> {
  const workflowId = loopWorkflowId(request.taskName);
  try {
    return await client.workflow.start(loopWorkflow, {
      taskQueue: options.taskQueue ?? taskQueue(),
      workflowId,
      args: carried ? [request, carried] : [request],
      staticSummary:
        request.execution === 'hook'
          ? `loop ${request.taskName} (hook mode${request.maxSessions ? `, at most ${request.maxSessions} iterations` : ''})`
          : `loop ${request.taskName} (${request.mode}${request.maxSessions ? `, at most ${request.maxSessions} sessions` : ''})`,
      staticDetails:
        request.execution === 'hook'
          ? `repo: ${request.repo}\nfiles: ${request.repo}/.autonomous/${request.taskName}\nsessions: the Claude Code session in the repo, through its Stop hook (.claude/settings.local.json)`
          : `repo: ${request.repo}\nfiles: ${request.repo}/.autonomous/${request.taskName}\nagent: ${request.agent.kind}`,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: NightshiftLabel, value: request.taskName },
        { key: NightshiftStatus, value: 'running' },
      ]),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw runnerConflict(request.taskName);
    throw err;
  }
}

export async function loopStatus(client: Client, taskName: string): Promise<LoopStatusView> {
  try {
    return await client.workflow.getHandle(loopWorkflowId(taskName)).query(loopStatusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /not found/i.test((err as Error).message)) {
      throw new NotFoundError(`no loop named "${taskName}"`, 'List loops with `nightshift loop --list`.');
    }
    throw err;
  }
}

export interface LoopListing {
  taskName: string;
  workflowId: string | null;
  status: string;
  mode: string | null;
  sessions: number;
  costUsd: number;
  falseCompletions: number;
  checkboxes: { done: number; total: number } | null;
  repo: string | null;
  startTime: string | null;
}

/**
 * Every task: from Temporal's visibility store (newest run per task; scheduled sessions share their
 * schedule's task), then task directories under `<repo>/.autonomous/` that no run on record knows.
 * Checkbox progress comes from the task list on disk when it is readable.
 */
export async function listLoops(client: Client, options: { repo?: string; limit?: number } = {}): Promise<LoopListing[]> {
  const byTask = new Map<string, LoopListing>();
  let seen = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'loopWorkflow'` })) {
    if (++seen > (options.limit ?? 500)) break;
    const memo = wf.memo?.[LOOP_MEMO] as LoopMemo | undefined;
    const taskName = wf.typedSearchAttributes.get(NightshiftLabel) ?? memo?.request.taskName ?? wf.workflowId.replace(/^loop-/, '');
    const startTime = wf.startTime.toISOString();
    const existing = byTask.get(taskName);
    if (existing?.startTime && existing.startTime >= startTime) continue;
    const temporal = wf.status.name;
    const status = temporal === 'RUNNING' || temporal === 'COMPLETED' ? (wf.typedSearchAttributes.get(NightshiftStatus) ?? memo?.status ?? temporal.toLowerCase()) : temporal.toLowerCase();
    const repo = memo?.request.repo ?? null;
    const disk = repo ? safeTaskDir(repo, taskName) : undefined;
    byTask.set(taskName, {
      taskName,
      workflowId: wf.workflowId,
      status: status === 'canceled' ? 'cancelled' : status,
      mode: memo?.request.execution === 'hook' ? 'hook' : (memo?.request.mode ?? disk?.mode ?? null),
      sessions: memo?.counters.sessions ?? 0,
      costUsd: memo?.counters.costUsd ?? 0,
      falseCompletions: memo?.counters.falseCompletionCount ?? 0,
      checkboxes: disk?.checkboxes ?? memo?.checkboxes ?? null,
      repo,
      startTime,
    });
  }
  if (options.repo) {
    for (const dir of readTaskDirs(options.repo)) {
      if (byTask.has(dir.taskName)) continue;
      byTask.set(dir.taskName, {
        taskName: dir.taskName,
        workflowId: null,
        status: 'no runner on record',
        mode: dir.mode,
        sessions: dir.sessionLogs,
        costUsd: 0,
        falseCompletions: 0,
        checkboxes: dir.checkboxes,
        repo: options.repo,
        startTime: null,
      });
    }
  }
  return [...byTask.values()].sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''));
}

function safeTaskDir(repo: string, taskName: string) {
  try {
    return readTaskDir(repo, taskName);
  } catch {
    return undefined;
  }
}

/** `--continue` without a name: the loop started most recently (the seed's "most recent task"). */
async function mostRecentLoop(client: Client): Promise<string> {
  let best: { taskName: string; start: number } | undefined;
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'loopWorkflow'` })) {
    // Scheduled sessions (`loop-<name>-<time>`) are not continued: their schedule runs them.
    const taskName = wf.workflowId.replace(/^loop-/, '');
    if (wf.typedSearchAttributes.get(NightshiftLabel) !== taskName) continue;
    if (!best || wf.startTime.getTime() > best.start) best = { taskName, start: wf.startTime.getTime() };
  }
  if (!best) throw new NotFoundError('there is no loop to continue', 'Start one with `nightshift loop "task" --repo DIR`.');
  return best.taskName;
}
