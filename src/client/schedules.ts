import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { taskQueue } from '../config/connection';
import { ConflictError, NotFoundError } from '../model/errors';
import { loopWorkflowId } from '../model/loopRequest';
import type { AgentSpec } from '../model/request';
import { loopWorkflow } from '../workflows/loop/loop';
import { NightshiftLabel, NightshiftStatus } from '../workflows/shared/searchAttributes';
import { parseLoopRequest } from './loops';

/**
 * Seed 000's scheduled build sessions: a Temporal Schedule `nightshift-<name>` that starts a
 * one-session lightweight `loopWorkflow` every interval; the session appends its entry to the log file
 * and commits. Overlap is SKIP: a session still running when the next is due is not doubled.
 */
export function scheduleId(name: string): string {
  return `nightshift-${name}`;
}

export interface ScheduleLoopOptions {
  name: string;
  everyMs: number;
  repo: string;
  /** The prompt file's content: the task of every session. */
  prompt: string;
  agent: AgentSpec;
  maxBudgetUsd?: number;
  maxSessionTimeMs?: number;
  logFile?: string;
  timeZone?: string;
  taskQueue?: string;
}

export async function createLoopSchedule(client: Client, o: ScheduleLoopOptions): Promise<string> {
  const request = parseLoopRequest(
    {
      taskName: o.name,
      task: o.prompt,
      repo: o.repo,
      mode: 'lightweight',
      maxSessions: 1,
      logFile: o.logFile ?? 'BUILD_LOG.md',
      agent: o.agent,
      ...(o.maxBudgetUsd !== undefined ? { sessionBudgetUsd: o.maxBudgetUsd, buildBudgetUsd: o.maxBudgetUsd } : {}),
      ...(o.maxSessionTimeMs !== undefined ? { policy: { maxSessionTime: o.maxSessionTimeMs } } : {}),
      ...(o.timeZone ? { timeZone: o.timeZone } : {}),
    },
    'schedule NAME',
  );
  const id = scheduleId(o.name);
  try {
    await client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every: o.everyMs }] },
      action: {
        type: 'startWorkflow',
        workflowType: loopWorkflow,
        // Temporal appends the scheduled time, so each session is `loop-<name>-<time>`.
        workflowId: loopWorkflowId(o.name),
        args: [request],
        taskQueue: o.taskQueue ?? taskQueue(),
        staticSummary: `scheduled build session ${o.name}`,
        typedSearchAttributes: new TypedSearchAttributes([
          { key: NightshiftLabel, value: o.name },
          { key: NightshiftStatus, value: 'running' },
        ]),
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state: { note: `nightshift build session every ${o.everyMs / 1000}s in ${o.repo}` },
      memo: { nightshiftSchedule: { name: o.name, repo: o.repo, everyMs: o.everyMs, logFile: request.logFile } },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) {
      throw new ConflictError(`schedule ${o.name} already exists (${id})`, `Delete it first with \`nightshift schedule delete ${o.name}\`, or pick another name.`);
    }
    throw err;
  }
  return id;
}

export interface ScheduleListing {
  name: string;
  scheduleId: string;
  everyMs: number | null;
  repo: string | null;
  paused: boolean;
  note: string | null;
  nextRun: string | null;
  lastRun: { workflowId: string; startedAt: string } | null;
}

/** The Nightshift schedules (id prefix `nightshift-`), from the server's schedule list. */
export async function listLoopSchedules(client: Client): Promise<ScheduleListing[]> {
  const out: ScheduleListing[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith('nightshift-')) continue;
    const memo = s.memo?.nightshiftSchedule as { repo?: string; everyMs?: number } | undefined;
    const last = s.info.recentActions[s.info.recentActions.length - 1];
    out.push({
      name: s.scheduleId.replace(/^nightshift-/, ''),
      scheduleId: s.scheduleId,
      everyMs: memo?.everyMs ?? null,
      repo: memo?.repo ?? null,
      paused: s.state.paused,
      note: s.state.note ?? null,
      nextRun: s.info.nextActionTimes[0]?.toISOString() ?? null,
      lastRun: last ? { workflowId: last.action.workflow.workflowId, startedAt: last.takenAt.toISOString() } : null,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export type ScheduleVerb = 'pause' | 'unpause' | 'delete' | 'trigger';

/** Pause, unpause, delete or trigger (run one session now) `nightshift-<name>`. */
export async function controlSchedule(client: Client, name: string, verb: ScheduleVerb): Promise<void> {
  const handle = client.schedule.getHandle(scheduleId(name));
  try {
    if (verb === 'pause') await handle.pause('paused with nightshift schedule pause');
    else if (verb === 'unpause') await handle.unpause('unpaused with nightshift schedule unpause');
    else if (verb === 'delete') await handle.delete();
    // The schedule's own overlap policy (SKIP): two sessions must never edit one checkout at once.
    else await handle.trigger();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError || /not found/i.test((err as Error).message)) {
      throw new NotFoundError(`no schedule named "${name}" (${scheduleId(name)})`, 'List schedules with `nightshift schedule list`.');
    }
    throw err;
  }
}

/** The workflow ids of the sessions a schedule started, oldest first. */
export async function scheduleRuns(client: Client, name: string): Promise<string[]> {
  const d = await client.schedule.getHandle(scheduleId(name)).describe();
  return d.info.recentActions.map((a) => a.action.workflow.workflowId);
}
