/**
 * The figures of a benchmark run (bench/results/*.json) as rows next to their targets: printed by
 * `npm run bench` and written into the README by `npm run bench:readme` (bench/readme.ts).
 */
import type { HistoryEventsResult } from './historyEvents';
import type { QueueLatencyResult } from './queueLatency';
import type { ScaleResult } from './scale';
import type { WorkerLossResult } from './workerLoss';

export type Part = 'orchestration' | 'history' | 'signals' | 'queue' | 'loss' | 'scale';

/** What bench/run.ts writes; older result files lack some fields, so everything is optional. */
export interface BenchSummary {
  at: string;
  mode?: string;
  machine?: { cpus: number; memGiB: number; node: string };
  load?: Partial<Record<Part, { before: number; after: number }>>;
  checkpoints?: number;
  runs?: number;
  orchestration?: {
    bashLoopMedianMs: number;
    nightshiftMedianMs: number;
    ratio: number;
    pairedRatio?: number;
    overheadPerCheckpointMs: number;
    /** The least Temporal adds here (bench/floor): the same work as one, or two, activities per checkpoint and nothing else. */
    floor?: { oneActivityMedianMs: number; oneActivityRatio: number; twoActivitiesMedianMs: number; twoActivitiesRatio: number };
  } | null;
  history?: (Partial<HistoryEventsResult> & { events: number; perCheckpoint: number; checkpoints: number }) | null;
  signals?: { pauseNowToAgentGoneMedianMs: number; pauseNowP95Ms: number; resumeToNextAgentMedianMs: number; resumeP95Ms: number } | null;
  queue?: QueueLatencyResult | null;
  workerLoss?: WorkerLossResult | null;
  scale?: (ScaleResult & { workerEnv?: Record<string, string> }) | null;
}

export interface Row {
  part: Part;
  what: string;
  got: string;
  target: string;
  /** Whether the figure meets its target; null where the issue sets none. */
  met: boolean | null;
}

export function benchRows(s: BenchSummary): Row[] {
  const rows: Row[] = [];
  const o = s.orchestration;
  if (o) {
    rows.push({
      part: 'orchestration',
      what: `${s.checkpoints ?? 20} no-op checkpoints: build vs bash loop (median of ${s.runs ?? '?'}, side by side)`,
      got: `${o.ratio}x (${o.nightshiftMedianMs} vs ${o.bashLoopMedianMs} ms, +${o.overheadPerCheckpointMs} ms per checkpoint${o.pairedRatio !== undefined ? `; run by run ${o.pairedRatio}x` : ''})`,
      target: '<= 1.3x',
      met: o.ratio <= 1.3,
    });
    if (o.floor) {
      rows.push({
        part: 'orchestration',
        what: 'floor: a bare workflow doing the same work, one activity per checkpoint',
        got: `${o.floor.oneActivityRatio}x (${o.floor.oneActivityMedianMs} ms)`,
        target: 'measured (the least Temporal adds)',
        met: null,
      });
      rows.push({
        part: 'orchestration',
        what: 'floor: the same split as a build (session, then verify and commit)',
        got: `${o.floor.twoActivitiesRatio}x (${o.floor.twoActivitiesMedianMs} ms)`,
        target: 'measured',
        met: null,
      });
    }
  }
  const h = s.history;
  if (h) {
    const middle = h.wholeBuildPerCheckpoint !== undefined;
    rows.push({
      part: 'history',
      what: middle ? 'history events per checkpoint (one task group, quiet agent)' : `history events per checkpoint (${h.checkpoints}-checkpoint build / ${h.checkpoints})`,
      got: middle ? `${h.perCheckpoint} (checkpoints: ${(h.byCheckpoint ?? []).join(', ')})` : `${h.perCheckpoint} (${h.events} events)`,
      target: '<= 20',
      met: h.perCheckpoint <= 20,
    });
    if (middle) {
      rows.push({
        part: 'history',
        what: `whole ${h.checkpoints}-checkpoint build, start and end included`,
        got: `${h.events} events = ${h.wholeBuildPerCheckpoint} per checkpoint (start ${h.startEvents}, end ${h.endEvents})`,
        target: 'measured',
        met: null,
      });
    }
  }
  const q = s.queue;
  if (q) rows.push({ part: 'queue', what: `enqueue answered -> agent start (${q.n} builds, one at a time)`, got: `median ${q.median_ms} ms, p95 ${q.p95_ms} ms (from enqueue sent, the update's round trip included: median ${q.request_median_ms} ms, p95 ${q.request_p95_ms} ms)`, target: 'p95 < 300 ms', met: q.p95_ms < 300 });
  const c = s.scale;
  if (c) {
    rows.push({
      part: 'scale',
      what: `${c.builds} builds at once on one worker (${c.checkpoints} checkpoints, ${c.ticks} s agents)`,
      got: `${c.completed} completed, ${c.oneCommitPerCheckpoint} with one commit per checkpoint`,
      target: `all ${c.builds}`,
      met: c.completed === c.builds && c.oneCommitPerCheckpoint === c.builds,
    });
    rows.push({ part: 'scale', what: 'worker RSS peak (worker process)', got: `${c.rssPeakMb} MB (idle ${c.rssIdleMb} MB)`, target: '< 500 MB', met: c.rssPeakMb < 500 });
    rows.push({ part: 'scale', what: `all ${c.builds} vs one build alone`, got: `${c.allMs} vs ${c.aloneMs} ms (${c.slowdown}x)`, target: 'measured', met: null });
    rows.push({
      part: 'scale',
      what: c.startedToAgentP95Ms === undefined ? 'slot open -> agent start (from enqueue answered)' : 'slot open (enqueue sent) -> agent start',
      got: `median ${c.slotToAgentMedianMs} ms, p95 ${c.slotToAgentP95Ms} ms${c.startedToAgentP95Ms === undefined ? '' : `; from the build's start: median ${c.startedToAgentMedianMs} ms, p95 ${c.startedToAgentP95Ms} ms`}`,
      target: 'measured',
      met: null,
    });
  }
  const g = s.signals;
  if (g) rows.push({ part: 'signals', what: 'pause --now -> agent gone / resume -> next agent', got: `${g.pauseNowToAgentGoneMedianMs} / ${g.resumeToNextAgentMedianMs} ms median`, target: 'measured', met: null });
  const l = s.workerLoss;
  if (l) {
    rows.push({
      part: 'loss',
      what: 'lost worker -> agent running again (SIGKILL / SIGTERM)',
      got: `${l.killToAgentMedianMs} ms (${l.afterHeartbeatTimeoutMedianMs} ms after the ${l.heartbeatTimeoutMs / 1000} s heartbeat timeout) / ${l.termToAgentMedianMs} ms`,
      target: 'measured',
      met: null,
    });
  }
  return rows;
}
