import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import type { BuildRequestInput } from '../../src/model/request';
import { statusQuery } from '../../src/workflows/build/messages';
import type { BuildStatusView } from '../../src/workflows/build/state';
import { makeRepo, samplePlan, tempDir, writeJson } from './repo';
import { eventually, type TestEnv } from './temporal';

export interface ScenarioBuild {
  label: string;
  repo: string;
  home: string;
  dir: string;
  run<T>(fn: (handle: WorkflowHandle) => Promise<T>): Promise<T>;
}

let counter = 0;

/**
 * A build on the real dev server with the scripted agent following `scenario`, a worker of its own
 * (own task queue, own NIGHTSHIFT_HOME) and a fresh repo. `run` starts it and keeps the worker up.
 */
export async function scenarioBuild(
  env: TestEnv,
  opts: { scenario?: unknown; checkpoints?: number; verify?: string[]; policy?: BuildRequestInput['policy']; name?: string; maxCachedWorkflows?: number; gate?: 'checkpoint' },
): Promise<ScenarioBuild> {
  const dir = tempDir('scenario');
  const scenario = writeJson(join(dir, 'scenario.json'), opts.scenario ?? { rules: [] });
  const repo = makeRepo();
  const label = `${opts.name ?? 'b'}-${process.pid}-${++counter}-${Date.now() % 100000}`;
  const taskQueue = env.taskQueue();
  const { worker, home } = await env.worker({ taskQueue, ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}) });
  const request = parseBuildRequest({
    label,
    repo,
    plan: samplePlan(opts.checkpoints ?? 2, opts.verify ?? ['test -d work']),
    agent: { kind: 'scripted', scenario },
    policy: { maxAttempts: 3, retryInterval: '1s', stallTimeout: '1m', ...(opts.policy ?? {}) },
    ...(opts.gate ? { gate: opts.gate } : {}),
  });
  return {
    label,
    repo,
    home,
    dir,
    run: (fn) =>
      worker.runUntil(async () => {
        const handle = await startBuild(env.client, request, { taskQueue });
        return fn(handle);
      }),
  };
}

export function untilStatus(handle: WorkflowHandle, predicate: (v: BuildStatusView) => boolean, what: string, timeoutMs = 60_000): Promise<BuildStatusView> {
  return eventually(async () => {
    const v = await handle.query(statusQuery);
    return predicate(v) ? v : undefined;
  }, timeoutMs, what);
}

export function readHome(home: string, ...parts: string[]): string {
  return readFileSync(join(home, ...parts), 'utf8');
}
