/**
 * What a completed build delivers: its summary (the JSON a `--deliver` command reads on stdin) and
 * the pull request's title and body, all rendered from workflow state. Pure and dependency-free:
 * the build workflow computes the summary, the delivery activity renders and sends it.
 */
import type { DevNote } from './devNote';
import type { BuildState, CheckpointPush } from '../workflows/build/state';

export interface CheckpointSummary {
  id: string;
  title: string;
  status: string;
  commit: string | null;
  push: CheckpointPush | null;
  verification: { steps: string[]; failedAttempts: number; overridden: boolean };
  /** Task groups a person overrode or skipped. */
  decided: { id: string; status: 'overridden' | 'skipped' }[];
}

export interface BuildSummary {
  label: string;
  title: string;
  repo: string;
  branch: string;
  /** The branch the pull request goes to (null: the delivery finds the repository's branch). */
  base: string | null;
  checkpoints: CheckpointSummary[];
  devNotes: Pick<DevNote, 'category' | 'content' | 'scope'>[];
  costUsd: number;
  sessions: number;
  startedAt: string;
  finishedAt: string | null;
  /** The build's run in the Temporal Web UI (filled in by the worker, which knows the UI's address). */
  webUi: string | null;
  /** Any checkpoint or task group overridden or skipped: the pull request is a draft. */
  needsReview: boolean;
}

/** What the delivery activity gets: the summary and how to deliver it. */
export interface DeliverInput {
  summary: BuildSummary;
  worktree: string;
  /** The host that owns the worktree (hosts): the delivery runs there. */
  host?: string;
  /** `--deliver` / config `deliver`: the command; absent: a pull request with gh when possible. */
  command?: string;
  /** The remote to push the branch to and open the pull request on. */
  remote: string;
  push: boolean;
  workflowId: string;
  runId: string;
  namespace: string;
}

export function buildSummary(state: BuildState): BuildSummary {
  const overriddenCps = new Set(state.devNotes.filter((n) => n.scope.type === 'checkpoint' && n.content.startsWith('verification overridden')).map((n) => n.scope.ref));
  const checkpoints = state.checkpoints.map((c): CheckpointSummary => {
    const plan = state.request.plan.checkpoints.find((p) => p.id === c.id);
    const steps = (plan?.testing_strategy.verification_steps ?? []).map((s) => (typeof s === 'string' ? s : s.name));
    return {
      id: c.id,
      title: c.title,
      status: c.status,
      commit: c.commit,
      push: c.push ?? null,
      verification: { steps, failedAttempts: c.verifyAttempts, overridden: overriddenCps.has(c.id) },
      decided: c.taskGroups.filter((g) => g.status === 'overridden' || g.status === 'skipped').map((g) => ({ id: g.id, status: g.status as 'overridden' | 'skipped' })),
    };
  });
  const needsReview = checkpoints.some((c) => c.status === 'skipped' || c.verification.overridden || c.decided.length > 0);
  return {
    label: state.label,
    title: state.request.plan.title,
    repo: state.request.repo,
    branch: state.workspace?.branch ?? `nightshift/${state.label}`,
    base: state.request.baseRef ?? null,
    checkpoints,
    devNotes: state.devNotes.map((n) => ({ category: n.category, content: n.content, scope: n.scope })),
    costUsd: Math.round(state.spentUsd * 10_000) / 10_000,
    sessions: state.sessions,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt,
    webUi: null,
    needsReview,
  };
}

export function prTitle(s: BuildSummary): string {
  return `${s.title} (nightshift ${s.label})`;
}

function verificationText(c: CheckpointSummary): string {
  if (c.status === 'skipped') return 'skipped';
  if (c.verification.overridden) return `overridden after ${c.verification.failedAttempts} failed run(s)`;
  if (c.verification.steps.length === 0) return 'no steps';
  return `passed${c.verification.failedAttempts > 0 ? ` after ${c.verification.failedAttempts} failed run(s)` : ''}: ${c.verification.steps.map((x) => `\`${x}\``).join(', ')}`;
}

function pushText(p: CheckpointPush | null): string {
  if (!p) return '';
  return p.pushed ? ` · pushed to ${p.remote}` : ` · not pushed${p.note ? ` (${p.note})` : ''}`;
}

/** The pull request's body: checkpoints with commits and verification, DevNotes, cost, the Web UI link. */
export function prBody(s: BuildSummary): string {
  const lines: string[] = [];
  lines.push(`Built overnight by Nightshift (build \`${s.label}\`, branch \`${s.branch}\`).`, '');
  if (s.needsReview) lines.push('> **Draft:** a person overrode or skipped part of this build; see the checkpoints and DevNotes below.', '');
  lines.push('## Checkpoints', '');
  for (const c of s.checkpoints) {
    const commit = c.commit ? ` \`${c.commit.slice(0, 10)}\`` : '';
    lines.push(`- **${c.id}. ${c.title}**: ${c.status}${commit}${pushText(c.push)}`);
    lines.push(`  - verification: ${verificationText(c)}`);
    for (const d of c.decided) lines.push(`  - task group ${d.id}: ${d.status} by a person`);
  }
  lines.push('');
  if (s.devNotes.length > 0) {
    lines.push('## DevNotes', '');
    for (const n of s.devNotes) lines.push(`- **${n.category}**${n.scope.ref ? ` (${n.scope.type} ${n.scope.ref})` : ''}: ${n.content}`);
    lines.push('');
  }
  lines.push('## Run', '');
  lines.push(`- sessions: ${s.sessions}`, `- cost: $${s.costUsd.toFixed(2)}`);
  if (s.webUi) lines.push(`- Web UI: ${s.webUi}`);
  return `${lines.join('\n')}\n`;
}

/** The URL a delivery command printed: the last line that is one. */
export function lastUrl(output: string): string | null {
  const lines = output.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /(https?:\/\/\S+)/.exec(lines[i] as string);
    if (m) return m[1] as string;
  }
  return null;
}

/** `delivery: https://... (draft pull request)` / `delivery: failed: ...`: one line for status, report and notifications. */
export function deliveryLine(d: { state: string; via: string; url: string | null; draft?: boolean; error?: string } | null | undefined): string | null {
  if (!d) return null;
  if (d.state === 'failed') return `delivery: failed: ${d.error ?? 'unknown error'}`;
  if (d.state === 'none') return `delivery: none (${d.error ?? 'no gh and no --deliver command'})`;
  const what = d.via === 'pr' ? `${d.draft ? 'draft ' : ''}pull request` : 'delivery command';
  return `delivery: ${d.url ?? '(no URL printed)'} (${what})`;
}
