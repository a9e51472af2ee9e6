/**
 * History events per checkpoint: one build of one-task-group checkpoints with a quiet agent (it
 * prints its header line and exits), its whole history fetched and counted by event type, by
 * activity (local activities are markers) and by signal name, so the figure says where events go.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parseBuildRequest, startBuild } from '../src/client/builds';
import { makeRepo } from './buildBench';

export interface HistoryEventsResult {
  checkpoints: number;
  /** Events of every run of the build (continue-as-new included). */
  events: number;
  perCheckpoint: number;
  byType: Record<string, number>;
  /** Activities (scheduled) and local activities (markers) by activity type. */
  byActivity: Record<string, number>;
  bySignal: Record<string, number>;
}

const EventType = temporal.api.enums.v1.EventType;

function typeName(t: number | null | undefined): string {
  const name = EventType[t ?? 0] ?? String(t);
  return name.replace(/^EVENT_TYPE_/, '').toLowerCase();
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/** Local activity markers carry the activity type in their `data.type` payload (JSON). */
function markerActivity(e: temporal.api.history.v1.IHistoryEvent): string {
  const payload = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
  if (!payload) return 'marker';
  try {
    const data = JSON.parse(Buffer.from(payload).toString('utf8')) as { activity_type?: string; activityType?: string };
    return `local:${data.activity_type ?? data.activityType ?? 'unknown'}`;
  } catch {
    return 'local:unknown';
  }
}

export async function benchHistoryEvents(o: { client: Client; taskQueue: string; checkpoints?: number }): Promise<HistoryEventsResult> {
  const n = o.checkpoints ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-history-'));
  const scenario = join(dir, 'scenario.json');
  writeFileSync(scenario, JSON.stringify({ otherwise: [] }));
  const label = `bench-history-${Date.now()}`;
  const plan = {
    title: 'history events',
    checkpoints: Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      title: `Checkpoint ${i + 1}`,
      goal: 'nothing',
      task_groups: [{ id: `${i + 1}.1`, title: 'g', tasks: [{ id: `${i + 1}.1.1`, description: 'nothing' }] }],
      testing_strategy: { verification_steps: ['true'] },
    })),
  };
  const request = parseBuildRequest({ label, repo: makeRepo(dir), plan, agent: { kind: 'scripted', scenario } });
  const handle = await startBuild(o.client, request, { taskQueue: o.taskQueue });
  const result = await handle.result();
  if (result.status !== 'completed') throw new Error(`history bench build ended ${result.status}`);
  const byType: Record<string, number> = {};
  const byActivity: Record<string, number> = {};
  const bySignal: Record<string, number> = {};
  let events = 0;
  // Follow the chain of runs from the first: continue-as-new would otherwise hide earlier events.
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await o.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    runId = undefined;
    for (const e of history.events ?? ([] as temporal.api.history.v1.IHistoryEvent[])) {
      events++;
      const t = typeName(e.eventType);
      bump(byType, t);
      if (e.activityTaskScheduledEventAttributes) bump(byActivity, e.activityTaskScheduledEventAttributes.activityType?.name ?? 'unknown');
      if (e.markerRecordedEventAttributes) bump(byActivity, markerActivity(e));
      if (e.workflowExecutionSignaledEventAttributes) bump(bySignal, e.workflowExecutionSignaledEventAttributes.signalName ?? 'unknown');
      const next: string | null | undefined = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (next) runId = next;
    }
  }
  return { checkpoints: n, events, perCheckpoint: Number((events / n).toFixed(1)), byType, byActivity, bySignal };
}
