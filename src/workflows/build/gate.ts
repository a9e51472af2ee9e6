/**
 * `--gate checkpoint` (seed 001's "one checkpoint per invocation, the user re-invokes for the next")
 * and the seed-001 reports kept in the build's state. After each checkpoint's commit a gated build
 * waits with reason `checkpoint-review` until the person decides:
 *   resume / retry   go on with the next checkpoint;
 *   override NOTE    go on, and the note is kept as a DevNote (decision) on the reviewed checkpoint;
 *   skip NOTE        skip the next checkpoint (DevNote deviation) and go on with the one after;
 *   feedback MSG     does not end the wait; the next checkpoint's session reads the message;
 *   pause            does not end the wait; after `resume` the build stops at its pause gate instead.
 */
import { condition } from '@temporalio/workflow';
import { type ReportKind, type SeedReport, keepReport, nextCheckpointAfter } from '../../model/seedReports';
import { addDevNote, type BuildState, type Decision, type BuildStatus, type CheckpointProgress } from './state';

function now(): string {
  return new Date().toISOString();
}

/** What the gate needs of the build (BuildRuntime has these). */
export interface GateHost {
  record(): Promise<void>;
  notify(event: 'checkpoint-complete', message: string): Promise<void>;
  setStatus(status: BuildStatus): void;
}

/** Keeps a rendered report in the build's state (shown by `status --report`, written to progress.md); returns its markdown. */
export function keep(state: BuildState, kind: ReportKind, checkpoint: string | null, markdown: string): string {
  state.reports ??= [];
  const report: SeedReport = { kind, checkpoint, at: now(), markdown };
  return keepReport(state.reports, report).markdown;
}

/** A notification's text: the one-line summary people grep for, then the report. */
export function withReport(line: string, markdown: string): string {
  return `${line}\n\n${markdown}`;
}

/** Waits after checkpoint `cp`'s commit when the build is gated and another checkpoint follows. */
export async function checkpointGate(s: BuildState, cp: CheckpointProgress, report: string, host: GateHost): Promise<void> {
  if (s.request.gate !== 'checkpoint') return;
  const next = nextCheckpointAfter(s, cp.id) as CheckpointProgress | undefined;
  if (!next) return;
  s.pendingDecision = null;
  s.position = { checkpoint: cp.id, taskGroup: null };
  s.waiting = {
    reason: 'checkpoint-review',
    step: `after checkpoint ${cp.id}`,
    message: `checkpoint ${cp.id} is committed (${(cp.commit ?? '').slice(0, 10)}); nightshift resume ${s.label} runs checkpoint ${next.id}: ${next.title}`,
    since: now(),
  };
  host.setStatus('awaiting-human');
  await host.record();
  await host.notify('checkpoint-complete', withReport(`build ${s.label}: checkpoint ${cp.id} committed; waiting for nightshift resume ${s.label}`, report));
  await condition(() => s.pendingDecision !== null);
  // Set by a handler while the condition waited (TypeScript cannot see that).
  const decision = s.pendingDecision as Decision | null;
  s.pendingDecision = null;
  if (decision?.kind === 'override') {
    addDevNote(s, 'decision', `checkpoint ${cp.id} accepted at review: ${decision.note}`, { type: 'checkpoint', ref: cp.id }, now());
  } else if (decision?.kind === 'skip') {
    addDevNote(s, 'deviation', `skipped at review: ${decision.note}`, { type: 'checkpoint', ref: next.id }, now());
    next.status = 'skipped';
  }
  s.waiting = null;
  s.position = { checkpoint: null, taskGroup: null };
  host.setStatus('running');
  await host.record();
}
