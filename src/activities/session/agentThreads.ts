import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Usage } from '../../agents/types';
import type { HomeLayout } from '../paths';
import { writeAtomic } from '../../atomicFile';

/**
 * The token total an agent thread had reached when its last session ended, for agents that report
 * whole-thread totals (codex after `exec resume`). Kept on the worker next to the thread itself
 * (codex's own rollout files are on this machine too): a resume elsewhere cannot find the thread
 * either, and a missing record only means the resumed session is counted whole.
 */

const UsageSchema = z.object({
  inputTokens: z.number().nonnegative(),
  cachedInputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
});

export function threadUsageFile(layout: HomeLayout, label: string, threadId: string): string {
  return join(layout.buildDir(label), 'agent-threads', `${threadId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export function readThreadUsage(file: string): Usage | undefined {
  try {
    const parsed = UsageSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeThreadUsage(file: string, usage: Usage): void {
  // Written whole or not at all: a torn file would make the next resume count from zero.
  writeAtomic(file, JSON.stringify(usage));
}

/**
 * The agent thread a step was running when its session was cancelled (`pause --now`, the stall
 * timer, a skip). Codex names its thread only in its output, which the workflow never sees from a
 * cancelled session, so the worker remembers it and the step's next session resumes it. A session
 * that ends on its own reports its thread to the workflow and clears this.
 */
export function interruptedThreadFile(layout: HomeLayout, label: string, step: string): string {
  return join(layout.buildDir(label), 'agent-threads', `interrupted-${step.replace(/[^A-Za-z0-9._-]/g, '_')}.txt`);
}

export function readInterruptedThread(file: string): string | undefined {
  try {
    const id = readFileSync(file, 'utf8').trim();
    return /^[A-Za-z0-9._-]{1,200}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export function writeInterruptedThread(file: string, threadId: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, threadId);
}

export function clearInterruptedThread(file: string): void {
  rmSync(file, { force: true });
}
