/**
 * History events per checkpoint: one build of one-task-group checkpoints with a quiet agent (it
 * prints its header line and exits), its whole history fetched and counted by event type, by
 * activity (local activities are markers) and by signal name, so the figure says where events go.
 * The history is also cut where each checkpoint begins (the upsert that sets NightshiftCheckpoint):
 * a checkpoint in the middle of the build costs `perCheckpoint` events; the build's own start
 * (before the first checkpoint) and end (after the last one's commit) are counted apart.
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
  /** Events of a checkpoint in the middle of the build (mean over checkpoints 2 .. n-1): the target's figure. */
  perCheckpoint: number;
  /** events / checkpoints: the build's start and end shared out over its checkpoints. */
  wholeBuildPerCheckpoint: number;
  /** Events before the first checkpoint begins (start, worktree) and after the last one's commit (end, delivery, notification). */
  startEvents: number;
  endEvents: number;
  /** Events of each checkpoint, from its start to the next one's (the last one's end events excluded). */
  byCheckpoint: number[];
  /** Event types of a middle checkpoint (mean over checkpoints 2 .. n-1). */
  perCheckpointByType: Record<string, number>;
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
  // Per checkpoint: the events of each, keyed by the checkpoint the build last started.
  const segments: { checkpoint: string | null; byType: Record<string, number>; events: number }[] = [{ checkpoint: null, byType: {}, events: 0 }];
  // Follow the chain of runs from the first: continue-as-new would otherwise hide earlier events.
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await o.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    runId = undefined;
    for (const e of history.events ?? ([] as temporal.api.history.v1.IHistoryEvent[])) {
      events++;
      const t = typeName(e.eventType);
      bump(byType, t);
      const started = checkpointStarted(e);
      if (started !== null) segments.push({ checkpoint: started, byType: {}, events: 0 });
      const segment = segments[segments.length - 1] as (typeof segments)[number];
      segment.events++;
      bump(segment.byType, t);
      if (e.activityTaskScheduledEventAttributes) bump(byActivity, e.activityTaskScheduledEventAttributes.activityType?.name ?? 'unknown');
      if (e.markerRecordedEventAttributes) bump(byActivity, markerActivity(e));
      if (e.workflowExecutionSignaledEventAttributes) bump(bySignal, e.workflowExecutionSignaledEventAttributes.signalName ?? 'unknown');
      const next: string | null | undefined = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (next) runId = next;
    }
  }
  return { checkpoints: n, events, ...split(segments, n), wholeBuildPerCheckpoint: round(events / n), byType, byActivity, bySignal };
}

const round = (x: number) => Number(x.toFixed(1));

/** The value NightshiftCheckpoint is set to by this event, if it is such an upsert. */
function checkpointStarted(e: temporal.api.history.v1.IHistoryEvent): string | null {
  const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.NightshiftCheckpoint;
  if (!field?.data) return null;
  try {
    return String(JSON.parse(Buffer.from(field.data).toString('utf8')));
  } catch {
    return null;
  }
}

/**
 * Start (before checkpoint 1), each checkpoint, and the end. The last checkpoint's segment runs to
 * the build's end: it is counted as a middle checkpoint, and the rest is the end.
 */
function split(segments: { checkpoint: string | null; byType: Record<string, number>; events: number }[], n: number) {
  const start = segments[0]?.events ?? 0;
  const cps = segments.slice(1);
  const middle = cps.slice(1, -1);
  const sample = middle.length > 0 ? middle : cps.slice(0, 1);
  const perCheckpointByType: Record<string, number> = {};
  for (const s of sample) for (const [t, c] of Object.entries(s.byType)) perCheckpointByType[t] = round((perCheckpointByType[t] ?? 0) + c / sample.length);
  const perCheckpoint = round(sample.reduce((a, s) => a + s.events, 0) / Math.max(1, sample.length));
  const last = cps[cps.length - 1]?.events ?? 0;
  // The last checkpoint costs what a middle one does; the rest of its segment is the build's end.
  const end = cps.length === n ? Math.max(0, last - perCheckpoint) : 0;
  return { perCheckpoint, startEvents: start, endEvents: round(end), byCheckpoint: cps.map((s, i) => (i === cps.length - 1 ? round(s.events - end) : s.events)), perCheckpointByType };
}
