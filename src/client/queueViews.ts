import type { Client } from '@temporalio/client';
import { type LiveStatus, liveStatus } from '../activities/files/liveStatus';
import { age, money, took, whyWaiting } from '../activities/files/queueFiles';
import { runUrl } from '../config/connection';
import type { ActiveView, Completion, QueueView } from '../workflows/queue/state';
import { print } from './cli';

/**
 * Seed 002's build_status.py views (--queue, --active, --completed) over the queue's `queue` query,
 * with each active build's own `status` for progress and cost. Used by `status` and `queue show`.
 */
export type QueueSection = 'queue' | 'active' | 'completed';

export interface ActiveDetail extends ActiveView {
  live: LiveStatus;
  url: string;
}
export interface CompletionDetail extends Completion {
  url: string;
}

export async function activeDetails(client: Client, namespace: string, view: QueueView): Promise<ActiveDetail[]> {
  return Promise.all(
    view.active.map(async (a) => ({ ...a, live: await liveStatus(client, a.workflowId), url: runUrl(namespace, a.workflowId, a.runId ?? undefined) })),
  );
}

/** The JSON of the chosen sections: the same fields the `queue` query returns, plus live status and links. */
export async function sectionsJson(client: Client, namespace: string, view: QueueView, sections: QueueSection[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { name: view.name, asOf: view.asOf, policy: view.policy };
  if (sections.includes('active')) out.active = await activeDetails(client, namespace, view);
  if (sections.includes('queue')) out.waiting = view.waiting;
  if (sections.includes('completed')) out.recent = view.recent.map((c): CompletionDetail => ({ ...c, url: runUrl(namespace, c.workflowId, c.runId ?? undefined) }));
  return out;
}

export async function printSections(client: Client, namespace: string, view: QueueView, sections: QueueSection[]): Promise<void> {
  const now = new Date();
  if (sections.includes('active')) {
    print(`Currently building (queue ${view.name}, at most ${view.policy.concurrency} at once):`);
    const active = await activeDetails(client, namespace, view);
    if (active.length === 0) print('  nothing building');
    for (const a of active) {
      const pct = a.live.percent === null ? '  -' : `${String(a.live.percent).padStart(3)}%`;
      print(`  ${a.label.padEnd(28)} ${a.priority.padEnd(6)} ${(a.failRequested ? 'failing' : (a.live.status ?? 'running')).padEnd(15)} ${pct}  attempt ${a.attempts + 1}  ${money(a.live.costUsd).padEnd(7)} ${age(a.startedAt, now)}`);
      if (a.after) print(`    chained: after ${a.after}, from its branch nightshift/${a.after}`);
      if (a.live.detail) print(`    at ${a.live.detail}${a.live.lastOutput ? ` · agent: ${a.live.lastOutput.slice(0, 100)}` : ''}`);
      print(`    ${a.url}`);
    }
    print('');
  }
  if (sections.includes('queue')) {
    print(`Queue ${view.name} (${view.waiting.length} waiting):`);
    if (view.waiting.length === 0) print('  empty: all caught up');
    else print(`  ${'#'.padStart(2)} ${'LABEL'.padEnd(28)} ${'PRIORITY'.padEnd(8)} ${'ATTEMPTS'.padEnd(8)} ${'AGE'.padEnd(6)} WHY IT WAITS`);
    for (const w of view.waiting) {
      print(`  ${String(w.position).padStart(2)} ${w.label.padEnd(28)} ${w.priority.padEnd(8)} ${String(w.attempts).padEnd(8)} ${age(w.addedAt, now).padEnd(6)} ${whyWaiting(w)}`);
      for (const r of w.reasons.slice(1)) print(`  ${''.padEnd(57)} ${r.code}: ${r.message}`);
      if (w.after) print(`  ${''.padEnd(57)} chained: after ${w.after}, from its branch nightshift/${w.after}`);
    }
    if (view.wakeAt) print(`  next timer: ${view.wakeAt}`);
    print('');
  }
  if (sections.includes('completed')) {
    print(`Recent completions (queue ${view.name}):`);
    if (view.recent.length === 0) print('  none yet');
    for (const c of view.recent) {
      const duration = took(Date.parse(c.finishedAt) - Date.parse(c.startedAt));
      print(`  ${c.label.padEnd(28)} ${c.outcome.padEnd(12)} ${duration.padEnd(8)} ${c.finishedAt.replace('T', ' ').slice(0, 19)}  ${runUrl(namespace, c.workflowId, c.runId ?? undefined)}`);
      if (c.error) print(`    ${c.error.slice(0, 200)}`);
    }
    print('');
  }
}
