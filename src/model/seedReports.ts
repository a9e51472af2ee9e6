/**
 * Seed 001's reports (`/session:build-background`'s <user_output> scenarios), rendered from a build's
 * state in the seed's markdown with Nightshift's commands in place of the slash command. Pure and
 * dependency-free: the workflow renders them as events happen, tests call them directly.
 */
import type { DevNote } from './devNote';
import type { Plan } from './plan';

export const REPORT_KINDS = ['build_started', 'checkpoint_complete', 'checkpoint_paused', 'verification_failed', 'build_complete'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export interface SeedReport {
  kind: ReportKind;
  /** The checkpoint it is about (null for build_complete). */
  checkpoint: string | null;
  at: string;
  markdown: string;
}

/** A file a checkpoint's commit added (A), modified (M), deleted (D) or renamed (R), from `git diff-tree --name-status`. */
export interface FileChange {
  status: string;
  path: string;
}

export interface VerificationLine {
  name: string;
  passed: boolean;
  exitCode?: number | null;
  timedOut?: boolean;
  outputTail?: string;
}

/** What the reports read of a build; the workflow's BuildState has these fields. */
export interface ReportSource {
  label: string;
  request: { plan: Plan; gate?: 'checkpoint' | undefined; completed?: string[] };
  checkpoints: {
    id: string;
    title: string;
    status: string;
    commit: string | null;
    taskGroups: { id: string; title: string; status: string }[];
    verification?: VerificationLine[] | undefined;
    files?: FileChange[] | undefined;
  }[];
  devNotes: DevNote[];
  position: { checkpoint: string | null; taskGroup: string | null };
  workspace: { path: string } | null;
}

const FINISHED_GROUP = ['done', 'overridden'];

function planCheckpoint(src: ReportSource, id: string): Plan['checkpoints'][number] | undefined {
  return src.request.plan.checkpoints.find((c) => c.id === id);
}

function taskCount(src: ReportSource, id: string): { tasks: number; groups: number; done: number } {
  const plan = planCheckpoint(src, id);
  const cp = src.checkpoints.find((c) => c.id === id);
  let tasks = 0;
  let done = 0;
  for (const g of plan?.task_groups ?? []) {
    tasks += g.tasks.length;
    const status = cp?.taskGroups.find((p) => p.id === g.id)?.status;
    if (status && FINISHED_GROUP.includes(status)) done += g.tasks.length;
  }
  return { tasks, groups: plan?.task_groups.length ?? 0, done };
}

/** DevNotes about a checkpoint: scoped to it or to one of its task groups. */
function notesOf(src: ReportSource, id: string): DevNote[] {
  const groups = new Set(planCheckpoint(src, id)?.task_groups.map((g) => g.id) ?? []);
  return src.devNotes.filter((n) => (n.scope.type === 'checkpoint' && n.scope.ref === id) || (n.scope.type === 'task' && n.scope.ref !== null && groups.has(n.scope.ref)));
}

function noteLines(notes: DevNote[], none: string): string {
  return notes.length ? notes.map((n) => `- **${n.category}**: ${n.content}`).join('\n') : none;
}

function completedIds(src: ReportSource): string[] {
  const here = src.checkpoints.filter((c) => c.status === 'completed').map((c) => c.id);
  return [...new Set([...(src.request.completed ?? []), ...here])];
}

/** The next checkpoint this build will run after `id` (not completed, not skipped), or undefined. */
export function nextCheckpointAfter(src: ReportSource, id: string | null): ReportSource['checkpoints'][number] | undefined {
  const start = id === null ? 0 : src.checkpoints.findIndex((c) => c.id === id) + 1;
  return src.checkpoints.slice(start).find((c) => c.status !== 'completed' && c.status !== 'skipped');
}

function verificationLines(lines: VerificationLine[] | undefined): string {
  if (!lines || lines.length === 0) return 'No verification steps in the plan for this checkpoint.';
  return lines.map((l) => `- ${l.passed ? '✅' : '❌'} \`${l.name}\`${l.passed ? '' : l.timedOut ? ' (timed out)' : ` (exit ${l.exitCode ?? '?'})`}`).join('\n');
}

/** A verification's step results as the reports show them (the output only of failed steps). */
export function toVerificationLines(steps: VerificationLine[]): VerificationLine[] {
  return steps.map((s) => ({
    name: s.name,
    passed: s.passed,
    exitCode: s.exitCode ?? null,
    timedOut: s.timedOut ?? false,
    ...(s.passed ? {} : { outputTail: (s.outputTail ?? '').slice(-1500) }),
  }));
}

/** `build_started`: "## Build Phase - Checkpoint N". */
export function renderBuildStarted(src: ReportSource, checkpointId: string): string {
  const plan = planCheckpoint(src, checkpointId);
  const count = taskCount(src, checkpointId);
  return [
    `## Build Phase - Checkpoint ${checkpointId}`,
    '',
    `**Session**: \`${src.label}\``,
    `**Target**: Checkpoint ${checkpointId}: ${plan?.title ?? '(not in the plan)'}`,
    '',
    '### Goal',
    plan?.goal?.trim() || '(the plan gives no goal)',
    '',
    '### Tasks',
    `${count.tasks} tasks in ${count.groups} task_groups`,
    '',
    'Executing checkpoint...',
  ].join('\n');
}

/** `checkpoint_complete`: "## Checkpoint N Complete ✅", with the command that continues. */
export function renderCheckpointComplete(src: ReportSource, checkpointId: string): string {
  const cp = src.checkpoints.find((c) => c.id === checkpointId);
  const count = taskCount(src, checkpointId);
  const next = nextCheckpointAfter(src, checkpointId);
  const nextPlan = next ? planCheckpoint(src, next.id) : undefined;
  const preview = next ? `Checkpoint ${next.id}: ${next.title}${nextPlan?.goal?.trim() ? ` — ${nextPlan.goal.trim()}` : ''}` : 'none (this was the last checkpoint)';
  const done = completedIds(src);
  const cont = !next
    ? 'Nothing left to run: the build completes now.'
    : src.request.gate === 'checkpoint'
      ? `Run \`nightshift resume ${src.label}\` to execute the next checkpoint.\n(Or \`nightshift feedback ${src.label} "..."\` first: the next checkpoint's session reads it.)`
      : `The build runs the next checkpoint on its own; \`nightshift pause ${src.label}\` stops it after this one.`;
  return [
    `## Checkpoint ${checkpointId} Complete ✅`,
    '',
    `**Title**: ${cp?.title ?? planCheckpoint(src, checkpointId)?.title ?? ''}`,
    `**Commit**: ${cp?.commit ?? '(none)'}`,
    `**Tasks Completed**: ${count.done}/${count.tasks}`,
    '',
    '### Verification',
    verificationLines(cp?.verification),
    '',
    '### DevNotes Added',
    noteLines(notesOf(src, checkpointId), 'None.'),
    '',
    '### Progress',
    `- Checkpoints completed: ${done.length ? done.join(', ') : 'none'} (${done.length}/${src.request.plan.checkpoints.length})`,
    `- Next: ${preview}`,
    '',
    '### Continue',
    cont,
  ].join('\n');
}

/** `checkpoint_paused`: "## Build Paused ⏸️" with the exact position and how to resume. */
export function renderCheckpointPaused(src: ReportSource, reason: string): string {
  const cpId = src.position.checkpoint;
  const groupId = src.position.taskGroup;
  const group = cpId && groupId ? planCheckpoint(src, cpId)?.task_groups.find((g) => g.id === groupId) : undefined;
  const task = group?.tasks[0]?.id;
  const position = cpId
    ? `Checkpoint ${cpId}, TaskGroup ${groupId ?? '(between task groups)'}, Task ${task ?? '(none started)'}`
    : `between checkpoints (next: ${nextCheckpointAfter(src, null)?.id ?? 'none'})`;
  return [
    '## Build Paused ⏸️',
    '',
    `**Session**: \`${src.label}\``,
    `**Position**: ${position}`,
    '',
    '### Status',
    reason,
    '',
    '### DevNotes',
    noteLines(cpId ? notesOf(src, cpId) : [], 'None about this position.'),
    '',
    '### To Resume',
    `Run: \`nightshift resume ${src.label}\``,
    '(Will pick up from exactly this position)',
  ].join('\n');
}

/** `verification_failed`: "## Verification Failed ⚠️" with the failed steps and the two options. */
export function renderVerificationFailed(src: ReportSource, checkpointId: string, failed: VerificationLine[]): string {
  const title = src.checkpoints.find((c) => c.id === checkpointId)?.title ?? planCheckpoint(src, checkpointId)?.title ?? '';
  const steps = failed.length
    ? failed
        .map((f) => {
          const head = `- \`${f.name}\`${f.timedOut ? ' (timed out)' : ` (exit ${f.exitCode ?? '?'})`}`;
          const tail = f.outputTail?.trim();
          return tail ? `${head}\n\n  \`\`\`\n${tail.split('\n').slice(-15).map((l) => `  ${l}`).join('\n')}\n  \`\`\`` : head;
        })
        .join('\n')
    : '- (no step output recorded)';
  return [
    '## Verification Failed ⚠️',
    '',
    `**Checkpoint**: ${checkpointId} - ${title}`,
    '',
    '### Failed Steps',
    steps,
    '',
    '### Options',
    `1. **Override**: Continue anyway (adds DevNote documenting the override): \`nightshift override ${src.label} --note "why it is acceptable"\``,
    `2. **Pause**: Stop here to fix the issue manually${src.workspace ? ` in \`${src.workspace.path}\`` : ''}, then \`nightshift retry ${src.label}\` (the build waits until then)`,
    '',
    'What would you like to do?',
  ].join('\n');
}

const STATUS_WORD: Record<string, string> = { A: 'created', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'type changed' };

/** Files over all of a build's commits, the last change of each path winning (created then modified stays created). */
export function filesOfBuild(src: ReportSource): FileChange[] {
  const byPath = new Map<string, string>();
  for (const cp of src.checkpoints) {
    for (const f of cp.files ?? []) {
      const before = byPath.get(f.path);
      byPath.set(f.path, before === 'A' && f.status === 'M' ? 'A' : f.status);
    }
  }
  return [...byPath.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([path, status]) => ({ path, status }));
}

/** `build_complete`: "## Build Complete 🎉" with counts, files created/modified and DevNote highlights. */
export function renderBuildComplete(src: ReportSource): string {
  const files = filesOfBuild(src);
  const completed = src.checkpoints.filter((c) => c.status === 'completed');
  const skipped = src.checkpoints.filter((c) => c.status === 'skipped');
  // Highlights: what a reader must know first (decisions, deviations, blockers), then the rest, at most 8.
  const rank = ['decision', 'deviation', 'blocker', 'discovery', 'resolution'];
  const highlights = [...src.devNotes].sort((a, b) => rank.indexOf(a.category) - rank.indexOf(b.category)).slice(0, 8);
  return [
    '## Build Complete 🎉',
    '',
    `**Session**: \`${src.label}\``,
    `**Topic**: ${src.request.plan.title}`,
    '',
    '### Summary',
    `- Checkpoints completed: ${completed.length}${skipped.length ? ` (skipped: ${skipped.map((c) => c.id).join(', ')})` : ''}`,
    `- DevNotes captured: ${src.devNotes.length}`,
    '',
    '### Files Created/Modified',
    files.length ? files.map((f) => `- ${STATUS_WORD[f.status[0] ?? ''] ?? f.status}: \`${f.path}\``).join('\n') : 'No files changed.',
    '',
    '### DevNotes Highlights',
    noteLines(highlights, 'None.'),
    '',
    'The implementation is complete. The session is now finished.',
  ].join('\n');
}

/** Appends a report to the list kept in state (the oldest dropped past `max`), and returns it. */
export function keepReport(reports: SeedReport[], report: SeedReport, max = 40): SeedReport {
  reports.push(report);
  if (reports.length > max) reports.splice(0, reports.length - max);
  return report;
}
