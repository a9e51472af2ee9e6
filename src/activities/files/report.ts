import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { zonedTimeToUtc } from '../../model/offHours';
import type { QueueView } from '../../workflows/queue/state';
import { type BuildDigest, buildDigest, renderDigest } from './digest';
import { writeAtomic } from '../../atomicFile';
import { type LiveStatus, liveStatus } from './liveStatus';
import { money, took, whyWaiting } from './queueFiles';

export interface ReportInput {
  /** YYYY-MM-DD in `timeZone`. */
  date: string;
  timeZone: string;
}
export interface ReportResult {
  path: string;
  completed: number;
  failed: number;
  active: number;
  queued: number;
}

export interface ReportBuild {
  label: string;
  workflowId: string;
  /** Temporal's status: running, completed, failed, cancelled, terminated, timed-out. */
  status: string;
  startTime: string;
  closeTime: string | null;
  live: LiveStatus;
  /** The morning digest's entry (digest.ts); absent when the build did not answer. */
  digest?: BuildDigest | null;
}

const DAY = 86_400_000;

/** The instants a local calendar day covers in `timeZone` (23 or 25 hours across DST changes). */
export function dayRange(date: string, timeZone: string): { start: number; end: number } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d) + DAY);
  return {
    start: zonedTimeToUtc({ year: y, month: m, day: d }, timeZone).getTime(),
    end: zonedTimeToUtc({ year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() }, timeZone).getTime(),
  };
}

/** Seed 002's nightly report: completed today, currently building, queue, summary. */
export function renderReport(input: ReportInput, builds: ReportBuild[], queues: QueueView[], now: Date): string {
  const { start, end } = dayRange(input.date, input.timeZone);
  const closedToday = builds.filter((b) => b.closeTime && Date.parse(b.closeTime) >= start && Date.parse(b.closeTime) < end);
  const done = closedToday.filter((b) => b.status === 'completed');
  const failed = closedToday.filter((b) => b.status !== 'completed');
  const active = builds.filter((b) => b.status === 'running');
  const waiting = queues.flatMap((q) => q.waiting.map((w) => ({ queue: q.name, w })));
  const durationOf = (b: ReportBuild) => Math.max(0, Date.parse(b.closeTime ?? now.toISOString()) - Date.parse(b.startTime));
  const title = (b: ReportBuild) => `**${b.label}**${b.live.title ? ` (${b.live.title})` : ''}`;
  const lines = [`# Build Report - ${input.date}`, '', `_Generated ${now.toISOString()} for ${input.date} (${input.timeZone})_`, '', '## Completed today', ''];
  if (done.length === 0) lines.push('_(nothing completed)_');
  done.forEach((b, i) => {
    lines.push(`${i + 1}. ${title(b)} — duration ${took(durationOf(b))} · ${b.live.commits.length} commit(s) · cost ${money(b.live.costUsd)}`);
    for (const c of b.live.commits) {
      const push = b.live.pushes?.[c];
      lines.push(`   - ${c.slice(0, 12)}${push ? (push.pushed ? ` (on ${push.remote})` : ` (NOT on ${push.remote})`) : ''}`);
    }
  });
  if (failed.length > 0) {
    lines.push('', '## Failed or stopped today', '');
    failed.forEach((b, i) => lines.push(`${i + 1}. ${title(b)} — ${b.status} after ${took(durationOf(b))}`));
  }
  const digests = [...closedToday, ...active].map((b) => b.digest).filter((d): d is BuildDigest => Boolean(d));
  if (digests.length > 0) lines.push('', ...renderDigest(digests));
  lines.push('', '## Currently building', '');
  if (active.length === 0) lines.push('_(nothing building)_');
  active.forEach((b, i) => {
    const pct = b.live.percent === null ? '' : ` · ${b.live.percent}%`;
    lines.push(`${i + 1}. ${title(b)} — ${b.live.status ?? 'running'}${pct}${b.live.detail ? ` · ${b.live.detail}` : ''} · started ${b.startTime}`);
  });
  lines.push('', '## Queue', '');
  if (waiting.length === 0) lines.push('_(empty: all caught up)_');
  waiting.forEach(({ queue, w }) => lines.push(`${w.position}. ${w.label} (${w.priority}${queues.length > 1 ? `, queue ${queue}` : ''}) — ${whyWaiting(w)}`));
  const costs = [...done, ...failed, ...active].map((b) => b.live.costUsd).filter((c): c is number => c !== null);
  const cost = costs.length ? costs.reduce((sum, c) => sum + c, 0) : null;
  const buildTime = [...done, ...failed].reduce((sum, b) => sum + durationOf(b), 0);
  lines.push(
    '',
    '## Summary',
    '',
    `- Completed: ${done.length} · Failed or stopped: ${failed.length} · Building: ${active.length} · Queued: ${waiting.length}`,
    `- Build time (finished today): ${took(buildTime)} · Commits: ${done.reduce((n, b) => n + b.live.commits.length, 0)} · Cost (where agents report it): ${money(cost)}`,
    '',
  );
  return lines.join('\n');
}

function temporalStatus(name: string): string {
  return name.toLowerCase().replace('timed_out', 'timed-out').replace('continued_as_new', 'running');
}

/** Builds and running queues on this worker's task queue, from Temporal's visibility store. */
async function collect(client: Client, taskQueue: string, since: number): Promise<{ builds: ReportBuild[]; queues: QueueView[] }> {
  const builds: ReportBuild[] = [];
  const listed = client.workflow.list({ query: `WorkflowType = 'buildWorkflow' AND TaskQueue = '${taskQueue}'` });
  for await (const wf of listed) {
    const status = temporalStatus(wf.status.name);
    const closeTime = wf.closeTime?.toISOString() ?? null;
    if (closeTime && Date.parse(closeTime) < since) continue;
    const digest = await buildDigest(client, wf.workflowId);
    builds.push({ label: wf.workflowId.replace(/^build-/, ''), workflowId: wf.workflowId, status, startTime: wf.startTime.toISOString(), closeTime, live: await liveStatus(client, wf.workflowId), digest });
    if (builds.length >= 500) break;
  }
  const queues: QueueView[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'queueWorkflow' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
    try {
      queues.push(await client.workflow.getHandle(wf.workflowId).query<QueueView>('queue'));
    } catch {
      // A queue that cannot answer is left out of the report rather than failing it.
    }
  }
  return { builds: builds.reverse(), queues };
}

/** Writes `build-reports/YYYY-MM-DD.md` under the worker's home from what Temporal knows. */
export async function writeBuildReport(home: string, input: ReportInput): Promise<ReportResult> {
  const ctx = Context.current();
  const { start } = dayRange(input.date, input.timeZone);
  const { builds, queues } = await collect(ctx.client, ctx.info.taskQueue, start);
  const dir = join(home, 'build-reports');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${input.date}.md`);
  const now = new Date();
  writeAtomic(path, renderReport(input, builds, queues, now));
  const { end } = dayRange(input.date, input.timeZone);
  const closed = builds.filter((b) => b.closeTime && Date.parse(b.closeTime) >= start && Date.parse(b.closeTime) < end);
  return {
    path,
    completed: closed.filter((b) => b.status === 'completed').length,
    failed: closed.filter((b) => b.status !== 'completed').length,
    active: builds.filter((b) => b.status === 'running').length,
    queued: queues.reduce((n, q) => n + q.waiting.length, 0),
  };
}
