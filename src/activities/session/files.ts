import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionFilesUpdate } from '../types';

function readJson(file: string): unknown {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

type Json = Record<string, unknown>;

/**
 * Keeps a seed-001 session directory true after each checkpoint: `state.json`'s `plan_state` and
 * `phases.build`, `plan.json`'s checkpoint statuses and `dev-notes.json`. Fields Nightshift does not
 * own are left as they were.
 */
export function updateSessionFiles(worktree: string, update: SessionFilesUpdate): void {
  const dir = join(worktree, update.dir);
  // A session directory that was never committed exists only in the person's checkout: bring it along.
  mkdirSync(dir, { recursive: true });
  for (const file of ['state.json', 'plan.json', 'dev-notes.json', 'spec.md']) {
    const source = update.sourceRepo ? join(update.sourceRepo, update.dir, file) : undefined;
    if (source && !existsSync(join(dir, file)) && existsSync(source)) copyFileSync(source, join(dir, file));
  }
  const statePath = join(dir, 'state.json');
  const state = (readJson(statePath) ?? {}) as Json;
  const phases = (state.phases ?? {}) as Json;
  const build = (phases.build ?? {}) as Json;
  const allDone = update.nextCheckpoint === null;
  state.current_phase = 'build';
  phases.build = {
    ...build,
    status: allDone ? 'completed' : 'in_progress',
    started_at: build.started_at ?? update.at,
    ...(allDone ? { completed_at: update.at } : {}),
  };
  state.phases = phases;
  const previous = ((state.plan_state ?? {}) as Json).checkpoints_completed;
  const completed = new Set<string>([...(Array.isArray(previous) ? previous.map(String) : []), ...update.completedCheckpoints]);
  state.plan_state = {
    ...((state.plan_state ?? {}) as Json),
    current_checkpoint: update.nextCheckpoint === null ? null : asNumberIfNumeric(update.nextCheckpoint),
    current_task_group: null,
    current_task: null,
    checkpoints_completed: [...completed].map(asNumberIfNumeric),
    last_updated: update.at,
    summary: update.summary,
  };
  writeJson(statePath, state);

  const planPath = join(dir, 'plan.json');
  const plan = readJson(planPath) as Json | undefined;
  if (plan && Array.isArray(plan.checkpoints)) {
    for (const cp of plan.checkpoints as Json[]) {
      if (completed.has(String(cp.id))) cp.status = 'completed';
    }
    writeJson(planPath, plan);
  }

  const notesPath = join(dir, 'dev-notes.json');
  const existing = readJson(notesPath);
  const list: Json[] = Array.isArray(existing)
    ? (existing as Json[])
    : Array.isArray((existing as Json | undefined)?.dev_notes)
      ? ((existing as Json).dev_notes as Json[])
      : [];
  const seen = new Set(list.map((n) => `${String(n.category)}|${String(n.content)}`));
  for (const note of update.devNotes) {
    const key = `${note.category}|${note.content}`;
    if (!seen.has(key)) list.push({ scope: note.scope, category: note.category, content: note.content, created_at: note.at });
    seen.add(key);
  }
  if (existing && !Array.isArray(existing)) writeJson(notesPath, { ...(existing as Json), dev_notes: list });
  else writeJson(notesPath, list);
}

function asNumberIfNumeric(id: string): string | number {
  return /^\d+$/.test(id) ? Number(id) : id;
}
