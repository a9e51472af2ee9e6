/**
 * Worker loss recovery: how long after a worker is lost the agent is running again on another one.
 * Real `nightshift worker` processes, a real build, the scripted agent writing its pid when it starts.
 * - SIGKILL: the session is noticed lost after the heartbeat timeout; measured from the kill, and
 *   beyond the heartbeat timeout (issue 9's target: within 15 s of it).
 * - SIGTERM: the worker hands the session back as it stops; measured from the signal (target 2 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { parseBuildRequest, startBuild } from '../src/client/builds';
import { makeRepo, median } from './buildBench';

const CLI = join(__dirname, '..', 'src', 'client', 'index.js');
const HEARTBEAT_S = 5;

export interface WorkerLossResult {
  heartbeatTimeoutMs: number;
  /** SIGKILL to the agent running again on the other worker. */
  killToAgentMs: number[];
  killToAgentMedianMs: number;
  /** The same, less the heartbeat timeout: what Nightshift and the server add. */
  afterHeartbeatTimeoutMedianMs: number;
  /** SIGTERM to the agent running again on the other worker. */
  termToAgentMs: number[];
  termToAgentMedianMs: number;
}

interface WorkerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<void>;
}

function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('nightshift worker:')) resolve();
    });
    child.once('exit', () => reject(new Error(`the worker exited before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, ready, exited };
}

async function until(file: string, timeoutMs = 120_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (existsSync(file) && readFileSync(file, 'utf8').trim()) return performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing wrote ${file} within ${timeoutMs / 1000}s`);
}

/** One loss: the first session on worker A, A stopped by `signal`, B already polling; ms until the agent runs again. */
async function oneLoss(client: Client, address: string, bundle: string, signal: 'SIGKILL' | 'SIGTERM', n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `ns-bench-loss-${signal}-`));
  const first = join(dir, 'first.pid');
  const second = join(dir, 'second.pid');
  const scenario = join(dir, 'scenario.json');
  writeFileSync(scenario, JSON.stringify({ rules: [{ times: 1, do: [{ pidFile: first }, { tick: { every: 500, count: 600 } }] }], otherwise: [{ pidFile: second }, { edit: true }] }));
  const taskQueue = `bench-loss-${signal}-${n}-${Date.now()}`;
  const env = { TEMPORAL_ADDRESS: address, NIGHTSHIFT_HOME: join(dir, 'home'), NIGHTSHIFT_TASK_QUEUE: taskQueue, NIGHTSHIFT_WORKFLOW_BUNDLE: bundle };
  const a = startWorker(env);
  await a.ready;
  const request = parseBuildRequest({
    label: `loss-${signal.toLowerCase()}-${n}-${Date.now() % 100000}`,
    repo: makeRepo(dir),
    plan: {
      title: 'worker loss',
      checkpoints: [{ id: 1, title: 'one', goal: 'g', task_groups: [{ id: '1.1', title: 'g', tasks: [{ id: '1.1.1', description: 't' }] }], testing_strategy: { verification_steps: ['true'] } }],
    },
    agent: { kind: 'scripted', scenario },
    policy: { heartbeatTimeout: `${HEARTBEAT_S}s`, retryInterval: '1h', stallTimeout: '10m' },
  });
  const handle = await startBuild(client, request, { taskQueue });
  await until(first);
  const b = startWorker(env);
  await b.ready;
  const stopped = performance.now();
  a.child.kill(signal);
  const again = await until(second);
  await a.exited;
  const result = await handle.result();
  b.child.kill('SIGTERM');
  await b.exited;
  if (result.status !== 'completed') throw new Error(`worker-loss build ended ${result.status}`);
  return again - stopped;
}

export async function benchWorkerLoss(o: { client: Client; address: string; runs: number; log: (line: string) => void }): Promise<WorkerLossResult> {
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'ns-bench-bundle-')), 'workflows.js');
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../src/workflows'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never });
  writeFileSync(bundlePath, bundle.code);
  const kill: number[] = [];
  const term: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    kill.push(await oneLoss(o.client, o.address, bundlePath, 'SIGKILL', i));
    term.push(await oneLoss(o.client, o.address, bundlePath, 'SIGTERM', i));
    o.log(`worker loss ${i + 1}/${o.runs}: SIGKILL -> agent again ${Math.round(kill[i] ?? 0)} ms, SIGTERM -> agent again ${Math.round(term[i] ?? 0)} ms`);
  }
  const heartbeatTimeoutMs = HEARTBEAT_S * 1000;
  return {
    heartbeatTimeoutMs,
    killToAgentMs: kill.map(Math.round),
    killToAgentMedianMs: Math.round(median(kill)),
    afterHeartbeatTimeoutMedianMs: Math.round(median(kill) - heartbeatTimeoutMs),
    termToAgentMs: term.map(Math.round),
    termToAgentMedianMs: Math.round(median(term)),
  };
}
