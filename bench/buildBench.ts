import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { processAlive } from '../src/activities/session/process';
import { scriptedAgentPath } from '../src/agents/scripted';
import { parseBuildRequest, startBuild } from '../src/client/builds';
import { pauseSignal, resumeSignal, statusQuery } from '../src/workflows/build/messages';

/** A git identity for the bench's repositories and commits (the machine may have none). */
export const identity = { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

export function makeRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, ...identity } });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return repo;
}

function plan(n: number) {
  return {
    title: `bench ${n}`,
    checkpoints: Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      title: `Checkpoint ${i + 1}`,
      goal: 'nothing',
      task_groups: [{ id: `${i + 1}.1`, title: 'g', tasks: [{ id: `${i + 1}.1.1`, description: 'nothing' }] }],
      testing_strategy: { verification_steps: ['true'] },
    })),
  };
}

/** The same agent runs and the same commits as a build, in a plain bash loop: the floor. */
export function bashLoop(checkpoints: number, scenario: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-bash-'));
  const repo = makeRepo(dir);
  const agent = `${process.execPath} ${scriptedAgentPath()} --scenario ${scenario}`;
  const script = `for i in $(seq 1 ${checkpoints}); do NIGHTSHIFT_CHECKPOINT=$i ${agent} > /dev/null; true; git add -A && git commit -q --allow-empty -m "checkpoint-$i: Checkpoint $i"; done`;
  const started = performance.now();
  const r = spawnSync('bash', ['-c', script], { cwd: repo, env: { ...process.env, ...identity }, stdio: 'ignore' });
  const elapsed = performance.now() - started;
  if (r.status !== 0) throw new Error('the bash baseline failed');
  rmSync(dir, { recursive: true, force: true });
  return elapsed;
}

/** Wall time of a real build of `checkpoints` checkpoints, from start to result. */
export async function nightshiftBuild(client: Client, taskQueue: string, checkpoints: number, scenario: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-build-'));
  const repo = makeRepo(dir);
  const label = `bench-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const request = parseBuildRequest({ label, repo, plan: plan(checkpoints), agent: { kind: 'scripted', scenario } });
  const started = performance.now();
  const handle = await startBuild(client, request, { taskQueue });
  const result = await handle.result();
  const elapsed = performance.now() - started;
  if (result.status !== 'completed') throw new Error(`bench build ${label} ended ${result.status}`);
  const commits = execFileSync('git', ['rev-list', '--count', `main..nightshift/${label}`], { cwd: repo, encoding: 'utf8' }).trim();
  if (Number(commits) !== checkpoints) throw new Error(`expected ${checkpoints} commits, found ${commits}`);
  return elapsed;
}

async function until<T>(check: () => T | undefined, timeoutMs = 30_000, stepMs = 2): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const n = Number(readFileSync(file, 'utf8'));
  return n > 0 ? n : undefined;
}

/**
 * Signal-to-effect latency on one build whose agent sleeps (and dies on SIGTERM like most CLIs):
 * `pause {now:true}` sent -> agent process gone; `resume` sent -> the next agent process started.
 */
export async function signalLatency(client: Client, taskQueue: string, rounds: number): Promise<{ pauseNowMs: number[]; resumeMs: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-signal-'));
  const repo = makeRepo(dir);
  const pidFile = join(dir, 'agent.pid');
  const scenario = join(dir, 'scenario.json');
  writeFileSync(scenario, JSON.stringify({ otherwise: [{ pidFile }, { sleep: 600_000 }] }));
  const label = `bench-signal-${Date.now()}`;
  const request = parseBuildRequest({ label, repo, plan: plan(1), agent: { kind: 'scripted', scenario }, policy: { stallTimeout: '1h' } });
  const handle = await startBuild(client, request, { taskQueue });
  const pauseNowMs: number[] = [];
  const resumeMs: number[] = [];
  let pid = await until(() => readPid(pidFile));
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await handle.signal(pauseSignal, { now: true });
    await until(() => (processAlive(pid) ? undefined : true));
    pauseNowMs.push(performance.now() - t0);
    while ((await handle.query(statusQuery)).status !== 'paused') await new Promise((r) => setTimeout(r, 20));
    rmSync(pidFile, { force: true });
    const t1 = performance.now();
    await handle.signal(resumeSignal);
    pid = await until(() => readPid(pidFile));
    resumeMs.push(performance.now() - t1);
  }
  await handle.cancel();
  return { pauseNowMs, resumeMs };
}

export type { Worker };
