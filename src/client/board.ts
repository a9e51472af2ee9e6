/**
 * The live board of `nightshift status --watch`: one row per build or loop, made from what the
 * visibility store knows (search attributes) and, when the run answers its `status` query, from its
 * status view. Pure: rows in, lines out; the command does the fetching and the redrawing.
 */
import type { BuildListing } from './builds';
import type { LoopListing } from './loops';
import type { LoopStatusView } from '../workflows/loop/state';
import type { BuildStatusView } from '../workflows/build/state';

export interface BoardRow {
  kind: 'build' | 'loop';
  label: string;
  status: string;
  /** Why it waits (`escalated`, `verification-failed`, ...), when it does. */
  reason: string | null;
  /** `checkpoint 2/3 · 2.1`, `session 4 · 3/5 boxes`. */
  where: string;
  /** 0..1, or null when unknown (the run did not answer). */
  progress: number | null;
  lastLine: string | null;
  costUsd: number | null;
  host: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** The command that acts on it, when it waits for the person. */
  action: string | null;
}

const WAITING_FOR_PERSON = new Set(['awaiting-human', 'paused']);
const FINISHED = new Set(['completed', 'failed', 'cancelled', 'terminated', 'timed-out', 'max-sessions-reached', 'budget-exceeded']);

export function waitsForPerson(row: BoardRow): boolean {
  return WAITING_FOR_PERSON.has(row.status);
}

export function isFinished(row: BoardRow): boolean {
  return FINISHED.has(row.status);
}

/** What to type to move a waiting build on. */
export function buildAction(label: string, status: string, reason: string | null): string | null {
  if (status === 'paused') return `nightshift resume ${label}`;
  if (status === 'rate-limited') return `nightshift retry ${label}  (to try before the limit resets)`;
  if (status !== 'awaiting-human') return null;
  switch (reason) {
    case 'auth':
      return `fix the agent's login on the worker, then: nightshift retry ${label}`;
    case 'budget-exceeded':
      return `nightshift retry ${label}  (grants the budget again) | nightshift cancel ${label}`;
    case 'verification-failed':
      return `nightshift override ${label} --note "…" | nightshift retry ${label} | nightshift skip ${label} --note "…"`;
    default:
      return `nightshift retry ${label} | nightshift override ${label} --note "…" | nightshift skip ${label} --note "…"`;
  }
}

export function loopAction(workflowId: string, status: string): string | null {
  if (status !== 'awaiting-human') return null;
  return `temporal workflow signal --workflow-id ${workflowId} --name retry | … --name override --input '{"note":"…"}'`;
}

/** A build as the workflow list knows it: no progress or last line without its status query. */
export function rowFromBuildListing(b: BuildListing): BoardRow {
  return {
    kind: 'build',
    label: b.label,
    status: b.status,
    reason: b.waitReason ?? null,
    where: b.checkpoint ? `checkpoint ${b.checkpoint}` : '',
    progress: b.status === 'completed' ? 1 : null,
    lastLine: null,
    costUsd: b.costUsd ?? null,
    host: b.host ?? null,
    startedAt: b.startTime,
    finishedAt: b.closeTime,
    action: buildAction(b.label, b.status, b.waitReason ?? null),
  };
}

export function rowFromBuild(v: BuildStatusView): BoardRow {
  const index = v.position.checkpoint ? v.checkpoints.findIndex((c) => c.id === v.position.checkpoint) : -1;
  const done = v.checkpoints.filter((c) => c.status === 'completed' || c.status === 'skipped').length;
  const where =
    index >= 0
      ? `checkpoint ${index + 1}/${v.checkpoints.length}${v.position.taskGroup ? ` · ${v.position.taskGroup}` : ''}`
      : `${done}/${v.checkpoints.length} checkpoints`;
  return {
    kind: 'build',
    label: v.label,
    status: v.status,
    reason: v.reason,
    where,
    progress: v.percentComplete / 100,
    lastLine: v.lastOutput,
    costUsd: v.spentUsd,
    host: v.host ?? null,
    startedAt: v.startedAt,
    finishedAt: v.finishedAt,
    action: buildAction(v.label, v.status, v.reason),
  };
}

export function rowFromLoopListing(l: LoopListing): BoardRow {
  return {
    kind: 'loop',
    label: l.taskName,
    status: l.status,
    reason: null,
    where: [`session ${l.sessions}`, l.checkboxes ? `${l.checkboxes.done}/${l.checkboxes.total} boxes` : ''].filter(Boolean).join(' · '),
    progress: l.checkboxes && l.checkboxes.total > 0 ? l.checkboxes.done / l.checkboxes.total : l.status === 'completed' ? 1 : null,
    lastLine: null,
    costUsd: l.costUsd,
    host: null,
    startedAt: l.startTime,
    finishedAt: null,
    action: l.workflowId ? loopAction(l.workflowId, l.status) : null,
  };
}

export function rowFromLoop(v: LoopStatusView): BoardRow {
  const boxes = v.checkboxes && v.checkboxes.total > 0 ? v.checkboxes : null;
  const bySessions = v.maxSessions ? Math.min(1, v.runSessions / v.maxSessions) : null;
  return {
    kind: 'loop',
    label: v.taskName,
    status: v.status,
    reason: v.waiting?.reason ?? null,
    where: [`session ${v.sessions}`, boxes ? `${boxes.done}/${boxes.total} boxes` : v.maxSessions ? `of ${v.maxSessions}` : ''].filter(Boolean).join(' · '),
    progress: v.status === 'completed' ? 1 : boxes ? boxes.done / boxes.total : bySessions,
    lastLine: v.lastOutput,
    costUsd: v.costUsd,
    host: null,
    startedAt: v.startedAt,
    finishedAt: v.finishedAt,
    action: loopAction(v.workflowId, v.status),
  };
}

/** Waiting for the person first (longest waiting first), then the active ones, then the finished, newest first. */
export function orderRows(rows: BoardRow[]): BoardRow[] {
  const rank = (r: BoardRow) => (waitsForPerson(r) ? 0 : isFinished(r) ? 2 : 1);
  const time = (r: BoardRow) => Date.parse(r.finishedAt ?? r.startedAt ?? '') || 0;
  return [...rows].sort((a, b) => rank(a) - rank(b) || (rank(a) === 0 ? time(a) - time(b) : time(b) - time(a)) || a.label.localeCompare(b.label));
}

/** `[████░░░░░░]  40%`, or blanks when unknown. */
export function progressBar(progress: number | null, width = 10): string {
  if (progress === null || !Number.isFinite(progress)) return `[${' '.repeat(width)}]     `;
  const p = Math.max(0, Math.min(1, progress));
  const filled = Math.round(p * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${`${Math.round(p * 100)}%`.padStart(4)}`;
}

/** `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function age(fromIso: string | null, nowMs: number): string {
  const from = fromIso ? Date.parse(fromIso) : NaN;
  if (Number.isNaN(from)) return '-';
  const s = Math.max(0, Math.floor((nowMs - from) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function state(r: BoardRow): string {
  return r.reason ? `${r.status} (${r.reason})` : r.status;
}

function cost(r: BoardRow): string {
  return r.costUsd === null ? '-' : `$${r.costUsd.toFixed(2)}`;
}

function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const flat = text.replace(/[\r\n\t]+/g, ' ').trimEnd();
  return flat.length > width ? `${flat.slice(0, Math.max(0, width - 1))}…` : flat;
}

/** The board for a terminal `width` columns wide: a header, then sections with a table each. */
export function renderBoard(rows: BoardRow[], opts: { width: number; nowMs: number; maxFinished?: number }): string[] {
  const ordered = orderRows(rows);
  const waiting = ordered.filter(waitsForPerson);
  const active = ordered.filter((r) => !waitsForPerson(r) && !isFinished(r));
  const finished = ordered.filter(isFinished).slice(0, opts.maxFinished ?? 8);
  const builds = rows.filter((r) => r.kind === 'build').length;
  const loops = rows.length - builds;
  const clock = new Date(opts.nowMs).toISOString().slice(11, 19);
  const lines = [
    fit(`Nightshift · ${builds} build${builds === 1 ? '' : 's'}, ${loops} loop${loops === 1 ? '' : 's'} · ${waiting.length} waiting for you · ${active.length} active · ${clock} UTC · Ctrl-C to quit`, opts.width),
  ];
  const labelWidth = Math.min(28, Math.max(5, ...rows.map((r) => r.label.length)));
  const stateWidth = Math.min(38, Math.max(6, ...rows.map((r) => state(r).length)));
  const anyHost = rows.some((r) => r.host !== null);
  const whereWidth = Math.min(26, Math.max(5, ...rows.map((r) => r.where.length)));
  const row = (r: BoardRow) =>
    fit(
      [
        `${r.kind === 'loop' ? '↻' : '▸'} ${fit(r.label, labelWidth).padEnd(labelWidth)}`,
        fit(state(r), stateWidth).padEnd(stateWidth),
        fit(r.where, whereWidth).padEnd(whereWidth),
        progressBar(r.progress),
        cost(r).padStart(7),
        age(r.startedAt, opts.nowMs).padStart(6),
        ...(anyHost ? [r.host ?? '-'] : []),
      ].join('  '),
      opts.width,
    );
  const section = (title: string, list: BoardRow[], detail: (r: BoardRow) => string[]) => {
    if (list.length === 0) return;
    lines.push('', title);
    for (const r of list) {
      lines.push(row(r));
      for (const d of detail(r)) lines.push(fit(`    ${d}`, opts.width));
    }
  };
  if (rows.length === 0) lines.push('', 'No builds or loops yet. Start one with `nightshift start --plan plan.json --repo DIR`.');
  section('WAITING FOR YOU', waiting, (r) => [...(r.action ? [`› ${r.action}`] : []), ...(r.lastLine ? [`agent: ${r.lastLine}`] : [])]);
  section('ACTIVE', active, (r) => [...(r.lastLine ? [`agent: ${r.lastLine}`] : []), ...(r.status === 'rate-limited' && r.action ? [`› ${r.action}`] : [])]);
  section('FINISHED', finished, () => []);
  return lines;
}

/** One plain line per row, for a pipe or a log file: tab-separated fields, no drawing. */
export function plainLine(r: BoardRow, nowMs: number): string {
  return [
    r.kind,
    r.label,
    state(r),
    r.where || '-',
    r.progress === null ? '-' : `${Math.round(r.progress * 100)}%`,
    cost(r),
    r.host ?? '-',
    age(r.startedAt, nowMs),
    r.lastLine ? `agent: ${fit(r.lastLine, 160)}` : '',
    r.action ? `act: ${r.action}` : '',
  ]
    .filter((f) => f !== '')
    .join('\t');
}

/** What changes the plain output: age is left out, so a line is printed again only when the run moved. */
export function rowKey(r: BoardRow): string {
  return JSON.stringify([r.status, r.reason, r.where, r.progress, r.lastLine, r.costUsd, r.host]);
}
