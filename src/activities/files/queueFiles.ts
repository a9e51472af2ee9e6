import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { runUrl } from '../../config/connection';
import { type BuildQueueViewEntry, renderBuildQueueMd } from '../../model/buildQueueMd';
import { formatDuration } from '../../model/duration';
import { DEFAULT_QUEUE } from '../../workflows/queue/messages';
import type { ActiveView, QueueView, WaitingView } from '../../workflows/queue/state';
import { writeAtomic } from '../../atomicFile';
import { type LiveStatus, liveStatus } from './liveStatus';

export interface QueueFilesInput {
  view: QueueView;
}
export interface QueueFilesResult {
  dir: string;
  files: string[];
}
export interface Health {
  worker: string;
  seenAt: string;
  server: string;
}

/** The default queue writes where seed 002's files lived (the home); other queues get their own dir. */
export function queueFilesDir(home: string, queue: string): string {
  return queue === DEFAULT_QUEUE ? home : join(home, 'queues', queue);
}

const cell = (text: string | number | null | undefined) => String(text ?? '-').replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim() || '-';
const row = (cells: (string | number | null | undefined)[]) => `| ${cells.map(cell).join(' | ')} |`;

export function age(fromIso: string, now: Date): string {
  const ms = Math.max(0, now.getTime() - Date.parse(fromIso));
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)}h`;
  return `${(ms / 86_400_000).toFixed(1)}d`;
}

/** A duration as people read it: 45s, 12m 5s, 4h 30m. */
export function took(ms: number): string {
  const s = Math.round(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
}

export function money(usd: number | null): string {
  return usd === null ? '-' : `$${usd.toFixed(2)}`;
}

/** Why an entry waits, in one line: its first reason (the others are in the query and BUILD_QUEUE.md). */
export function whyWaiting(w: WaitingView): string {
  if (w.status === 'starting') return 'starting now';
  const [first, ...more] = w.reasons;
  return first ? `${first.code}: ${first.message}${more.length ? ` (+${more.length} more)` : ''}` : 'waiting';
}

/**
 * BUILD_STATUS.md, seed 002's live status file: currently building, the queue with positions and
 * reasons, recent completions, system health. Rendered from the same view the `queue` query returns.
 */
export function renderBuildStatusMd(view: QueueView, live: Map<string, LiveStatus>, health: Health, urls: Map<string, string>, now: Date): string {
  const p = view.policy;
  const lines = [
    '# Build Status',
    '',
    `**Last Updated:** ${now.toISOString()} · queue \`${view.name}\``,
    '',
    '## Currently Building',
    '',
  ];
  if (view.active.length === 0) lines.push('_(nothing building)_');
  else {
    lines.push(row(['Label', 'Name', 'Priority', 'Status', 'Progress', 'Where', 'Attempt', 'Cost', 'Running for', 'Web UI']), row(Array(10).fill('---')));
    for (const a of view.active) {
      const l = live.get(a.label);
      lines.push(
        row([
          a.label,
          a.name,
          a.priority,
          a.failRequested ? `failing (${a.failRequested})` : (l?.status ?? 'running'),
          l?.percent !== null && l?.percent !== undefined ? `${l.percent}%` : '-',
          l?.detail,
          a.attempts + 1,
          money(l?.costUsd ?? null),
          age(a.startedAt, now),
          urls.get(a.label),
        ]),
      );
    }
  }
  lines.push('', '## Queue', '');
  if (view.waiting.length === 0) lines.push('_(empty: all caught up)_');
  else {
    lines.push(row(['#', 'Label', 'Name', 'Priority', 'Waiting because', 'Attempts', 'Age']), row(Array(7).fill('---')));
    for (const w of view.waiting) lines.push(row([w.position, w.label, w.name, w.priority, whyWaiting(w), w.attempts, age(w.addedAt, now)]));
  }
  lines.push('', '## Recent Completions', '');
  if (view.recent.length === 0) lines.push('_(none yet)_');
  else {
    lines.push(row(['Label', 'Outcome', 'Finished', 'Duration', 'Attempts']), row(Array(5).fill('---')));
    for (const c of view.recent) {
      lines.push(row([c.label, c.outcome, c.finishedAt, took(Date.parse(c.finishedAt) - Date.parse(c.startedAt)), c.attempts]));
    }
  }
  lines.push(
    '',
    '## System Health',
    '',
    `- **Worker:** ${health.worker}, seen ${health.seenAt} (this file is written by a worker)`,
    `- **Temporal server:** ${health.server}`,
    `- **Policy:** at most ${p.concurrency} at once · medium only ${p.offHours} ${p.timeZone} · low after approval · ${p.maxRetries} retries, ${formatDuration(p.retryInterval)} apart`,
    `- **Next wake-up:** ${view.wakeAt ?? 'on the next change (no timer needed)'}`,
    '',
  );
  return lines.join('\n');
}

function queueMdEntry(e: ActiveView | WaitingView): BuildQueueViewEntry {
  return {
    name: e.name,
    priority: e.priority,
    addedAt: e.addedAt,
    description: e.description,
    criteria: e.criteria,
    ...(e.estimate ? { estimate: e.estimate } : {}),
    ...(e.tech ? { tech: e.tech } : {}),
    blockers: e.blockers,
    approved: e.approved,
    risky: e.risky,
    ...('reasons' in e ? { waiting: e.reasons.map((r) => r.message) } : {}),
  };
}

/** BUILD_QUEUE.md in seed 002's format, which `nightshift add --from` reads back. */
export function renderQueueMd(view: QueueView, now: Date): string {
  return renderBuildQueueMd(
    {
      title: `BUILD_QUEUE.md - Nightshift queue "${view.name}"`,
      updatedAt: now,
      building: view.active.map(queueMdEntry),
      queued: view.waiting.map(queueMdEntry),
      // A failed attempt is back in the queue (or held there): only finished entries are "Completed".
      completed: view.recent.filter((c) => c.outcome !== 'failed').map((c) => ({ name: c.name, completedAt: c.finishedAt, outcome: c.outcome })),
    },
    { timeZone: view.policy.timeZone },
  );
}

async function serverHealth(): Promise<string> {
  const started = Date.now();
  try {
    await Context.current().client.workflowService.getSystemInfo({});
    return `reachable (answered in ${Date.now() - started} ms)`;
  } catch (err) {
    return `NOT reachable: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** Rewrites BUILD_STATUS.md and BUILD_QUEUE.md from the queue's state and its builds' live status. */
export async function writeQueueFiles(home: string, input: QueueFilesInput): Promise<QueueFilesResult> {
  const ctx = Context.current();
  const { view } = input;
  const dir = queueFilesDir(home, view.name);
  mkdirSync(dir, { recursive: true });
  const live = new Map<string, LiveStatus>();
  const urls = new Map<string, string>();
  await Promise.all(
    view.active.map(async (a) => {
      live.set(a.label, await liveStatus(ctx.client, a.workflowId));
      urls.set(a.label, runUrl(ctx.info.workflowNamespace ?? 'default', a.workflowId, a.runId ?? undefined));
    }),
  );
  const now = new Date();
  const health = { worker: `${hostname()} pid ${process.pid}`, seenAt: now.toISOString(), server: await serverHealth() };
  const status = join(dir, 'BUILD_STATUS.md');
  const queue = join(dir, 'BUILD_QUEUE.md');
  writeAtomic(status, renderBuildStatusMd(view, live, health, urls, now));
  writeAtomic(queue, renderQueueMd(view, now));
  return { dir, files: [status, queue] };
}
