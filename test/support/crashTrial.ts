import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { processAlive } from '../../src/activities/session/process';
import { SCRIPTED_COST } from '../../src/agents/scripted/scenario';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { enqueue, setQueuePolicy } from '../../src/client/queue';
import type { ScriptedAction } from '../../src/agents/scripted/scenario';
import { statusQuery } from '../../src/workflows/build/messages';
import type { BuildStatusView } from '../../src/workflows/build/state';
import { branchSubjects, hasContent, makeRepo, samplePlan, tempDir, writeJson } from './repo';
import { eventually } from './temporal';

/**
 * One trial of the crash matrix (test/integration/crashMatrix.test.ts): a 3-checkpoint build of the
 * scripted agent whose every normal session edits, prints one DevNote naming its checkpoint and
 * reports $0.25, and a point where the test stops it: a marker file the scenario, a verification step
 * or the repository's post-commit hook writes before waiting there, or a state of the build.
 */
export const COST_PER_SESSION = 0.25;

export interface TrialFiles {
  dir: string;
  repo: string;
  home: string;
  label: string;
  /** The file a trial's waiting point writes when it is reached. */
  marker: string;
  /** A trial's waiting point that must end by itself (the post-commit hook) ends once this exists. */
  go: string;
  /** Agent pid files the scenario writes. */
  pidFile: string;
}

export interface TrialSpec {
  /** Rules tried before the normal ones (`times: 1` makes them happen once). */
  rules?: (f: TrialFiles) => { when: Record<string, unknown>; times?: number; do: ScriptedAction[] }[];
  /** Extra verification steps of every checkpoint (run in the worktree by `sh -c`). */
  verify?: (f: TrialFiles) => string[];
  /** A post-commit hook in the repository (a shell script body). */
  postCommit?: (f: TrialFiles) => string;
  viaQueue?: boolean;
}

export function trialFiles(name: string): TrialFiles {
  const dir = tempDir(`crash-${name}`);
  return {
    dir,
    repo: makeRepo(),
    home: tempDir('home'),
    label: `cm-${name}-${process.pid}-${Date.now() % 100000}`,
    marker: join(dir, 'marker'),
    go: join(dir, 'go'),
    pidFile: join(dir, 'agent.pid'),
  };
}

/** A normal session of `checkpoint`: an edit, its DevNote and its cost. */
export function normal(checkpoint: number): ScriptedAction[] {
  return [{ edit: true }, { print: `DEVNOTE discovery: note of checkpoint ${checkpoint}` }, { print: `${SCRIPTED_COST}${COST_PER_SESSION}` }];
}

/** Starts the trial's build (directly, or through a queue of its own) on `taskQueue`. */
export async function startTrial(client: Client, taskQueue: string, f: TrialFiles, spec: TrialSpec): Promise<WorkflowHandle> {
  const rules = [...(spec.rules?.(f) ?? []), ...[1, 2, 3].map((c) => ({ when: { checkpoint: String(c) }, do: normal(c) }))];
  const scenario = writeJson(join(f.dir, 'scenario.json'), { rules });
  if (spec.postCommit) {
    const hook = join(f.repo, '.git', 'hooks', 'post-commit');
    writeFileSync(hook, `#!/bin/sh\n${spec.postCommit(f)}\n`);
    chmodSync(hook, 0o755);
  }
  const plan = samplePlan(3, ['true', ...(spec.verify?.(f) ?? [])]);
  const policy = { heartbeatTimeout: '3s', retryInterval: '1s', stallTimeout: '1m' };
  if (spec.viaQueue) {
    const target = { queue: `q-${f.label}`, taskQueue };
    await setQueuePolicy(client, { concurrency: 2, timeZone: 'UTC' }, target);
    const entry = { label: f.label, name: 'Crash trial', description: 'A build admitted by a queue whose worker dies', criteria: ['Every checkpoint has its commit on the build branch'], addedAt: new Date().toISOString(), repo: f.repo, kind: 'plan' as const, plan };
    const answer = await enqueue(client, { entry, agent: { kind: 'scripted', scenario }, policy }, target);
    if (!answer.workflowId) throw new Error(`the queue did not start ${f.label}: ${answer.reasons.join('; ')}`);
    return client.workflow.getHandle(answer.workflowId);
  }
  const request = parseBuildRequest({ label: f.label, repo: f.repo, plan, agent: { kind: 'scripted', scenario }, policy });
  return startBuild(client, request, { taskQueue });
}

export function untilFile(file: string, what: string, timeoutMs = 90_000): Promise<true> {
  return eventually(() => (hasContent(file) || existsSync(file) ? true : undefined), timeoutMs, what);
}

export function commitsOn(f: TrialFiles): number {
  try {
    return Number(execFileSync('git', ['rev-list', '--count', `main..nightshift/${f.label}`], { cwd: f.repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return 0;
  }
}

/** Processes whose working directory is inside the build's worktree (agents, verification, hooks). */
export function processesIn(worktree: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === worktree || cwd.startsWith(`${worktree}/`)) found.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found.filter(processAlive);
}

/**
 * What every trial must show: completed, exactly one commit per checkpoint, no process left in the
 * worktree, each returned session's DevNote and cost kept once (a lost session reports nothing).
 */
export function checkTrial(f: TrialFiles, view: BuildStatusView): { subjects: string[]; notes: string[]; spent: number; returned: number; leftovers: number[] } {
  const lost = view.attempts.filter((a) => a.outcome === 'worker-lost').length;
  return {
    subjects: branchSubjects(f.repo, f.label),
    notes: view.devNotes.map((n) => n.content).filter((c) => c.startsWith('note of checkpoint')),
    spent: Number(view.spentUsd.toFixed(2)),
    returned: view.sessions - lost,
    leftovers: processesIn(join(f.home, 'workspaces', f.label)),
  };
}

export async function finalView(handle: WorkflowHandle): Promise<{ status: string; view: BuildStatusView }> {
  const result = (await handle.result()) as { status: string };
  return { status: result.status, view: await handle.query(statusQuery) };
}
