import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { SessionResult } from '../../src/activities/types';

/** The built CLI (the integration setup compiles dist/ once). */
export const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `nightshift ARGS` as a user would, in its own process, with the test's environment plus `extraEnv`. */
export function nightshift(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** What every `runAgentSession` returned, read from the workflow's history. */
export async function sessionResults(handle: WorkflowHandle): Promise<SessionResult[]> {
  const history = await handle.fetchHistory();
  const results: SessionResult[] = [];
  for (const event of history.events ?? []) {
    const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    if (!payload) continue;
    const value = defaultPayloadConverter.fromPayload<Partial<SessionResult>>(payload);
    if (value && typeof value === 'object' && 'transcript' in value && 'agentSessionId' in value) results.push(value as SessionResult);
  }
  return results;
}

/** A plan of one task group per checkpoint, each verified by one shell command. */
export function verifiedPlan(title: string, checkpoints: { title: string; verify: string }[]) {
  return {
    title,
    checkpoints: checkpoints.map((c, i) => ({
      id: i + 1,
      title: c.title,
      goal: c.title,
      task_groups: [{ id: `${i + 1}.1`, title: c.title, tasks: [{ id: `${i + 1}.1.1`, description: c.title }] }],
      testing_strategy: { verification_steps: [c.verify] },
    })),
  };
}
