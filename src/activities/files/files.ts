import { mkdirSync } from 'node:fs';
import { writeAtomic } from '../../atomicFile';
import { join } from 'node:path';
import type { BuildStatusView } from '../../workflows/build/state';
import type { HomeLayout } from '../paths';
import type { RecordInput } from '../types';

const MARK: Record<string, string> = {
  completed: '[x]',
  done: '[x]',
  skipped: '[~]',
  overridden: '[!]',
  pending: '[ ]',
};

/** `builds/<label>/progress.md`: what a person reads to see where a build is. */
export function renderProgress(v: BuildStatusView): string {
  const lines = [
    `# ${v.label}: ${v.planTitle}`,
    '',
    `- **Status:** ${v.status}${v.reason ? ` (${v.reason})` : ''}${v.pauseRequested && v.status !== 'paused' ? ' (pause requested)' : ''}`,
    `- **Progress:** ${v.percentComplete}% (${v.checkpoints.filter((c) => c.status === 'completed').length}/${v.checkpoints.length} checkpoints)`,
    `- **Branch:** ${v.branch ?? '(not created yet)'} in ${v.repo}`,
    `- **Worktree:** ${v.worktree ?? '(not created yet)'}`,
    `- **Started:** ${v.startedAt}${v.finishedAt ? ` · **Finished:** ${v.finishedAt}` : ''}`,
    `- **Updated:** ${v.updatedAt}`,
    '',
    '## Tasks',
    '',
  ];
  for (const cp of v.checkpoints) {
    lines.push(`- ${MARK[cp.status] ?? '[>]'} Checkpoint ${cp.id}: ${cp.title} — ${cp.status}${cp.commit ? ` (${cp.commit.slice(0, 10)})` : ''}`);
    for (const g of cp.taskGroups) {
      lines.push(`  - ${MARK[g.status] ?? '[>]'} ${g.id} ${g.title}${g.attempts ? ` — ${g.attempts} failed attempt(s)` : ''}`);
    }
  }
  lines.push('', '## Blockers', '');
  if (v.waiting) lines.push(`- Waiting for a person (${v.waiting.reason}) since ${v.waiting.since}: ${v.waiting.message}`);
  else if (v.lastError && v.status !== 'completed') lines.push(`- Last error: ${v.lastError}`);
  else lines.push('- none');
  lines.push('', '## Commits', '');
  const commits = v.checkpoints.filter((c) => c.commit);
  if (commits.length === 0) lines.push('- none yet');
  for (const c of commits) lines.push(`- ${c.commit} checkpoint-${c.id}: ${c.title}`);
  if (v.devNotes.length > 0) {
    lines.push('', '## DevNotes', '');
    for (const n of v.devNotes) lines.push(`- (${n.category}) ${n.content}`);
  }
  // Seed 001's reports as they happened, oldest first (absent in views of builds before them).
  const reports = v.reports ?? [];
  if (reports.length > 0) {
    lines.push('', '## Reports');
    for (const r of reports) lines.push('', `<!-- ${r.kind} ${r.at} -->`, r.markdown.replace(/^## /, '### '));
  }
  return `${lines.join('\n')}\n`;
}

/** Rewrites the files people read for one build from the workflow's state. */
export function recordProgress(layout: HomeLayout, input: RecordInput): void {
  const dir = layout.buildDir(input.view.label);
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'progress.md'), renderProgress(input.view));
  writeAtomic(join(dir, 'dev-notes.json'), `${JSON.stringify(input.view.devNotes, null, 2)}\n`);
  writeAtomic(join(dir, 'status.json'), `${JSON.stringify(input.view, null, 2)}\n`);
}
