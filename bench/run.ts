/**
 * `npm run bench`: Nightshift against the floor and its targets (issue 11), on this machine.
 * Starts its own dev server and an in-process worker (the scale part runs a worker process);
 * writes bench/results/<timestamp>.json and prints every figure next to its target.
 *
 *   --quick            fewer runs and a 10-build scale wave of 5 s agents (a few minutes in all)
 *   --only=a,b         parts: orchestration, history, signals, queue, loss, scale
 *   BENCH_CHECKPOINTS, BENCH_RUNS, BENCH_LOSS_RUNS, BENCH_QUEUE_BUILDS,
 *   BENCH_SCALE_BUILDS, BENCH_SCALE_CHECKPOINTS, BENCH_SCALE_TICKS   override the sizes
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startDevServer } from '../src/server/devServer';
import { freePort } from '../src/server/ports';
import { createNightshiftWorker } from '../src/worker/createWorker';
import { bashLoop, median, nightshiftBuild, percentile, signalLatency } from './buildBench';
import { benchHistoryEvents } from './historyEvents';
import { benchQueueLatency } from './queueLatency';
import { benchScale } from './scale';
import { benchWorkerLoss } from './workerLoss';
import { benchRows } from './rows';
import { floorRun, floorWorker } from './floor/floor';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const PARTS = ['orchestration', 'history', 'signals', 'queue', 'loss', 'scale'] as const;
const want = (part: (typeof PARTS)[number]) => !only || only.includes(part);
const num = (name: string, full: number, fast: number) => Number(process.env[name] ?? (quick ? fast : full));
const CHECKPOINTS = num('BENCH_CHECKPOINTS', 20, 20);
const RUNS = num('BENCH_RUNS', 5, 2);
const LOSS_RUNS = num('BENCH_LOSS_RUNS', 3, 1);
const QUEUE_BUILDS = num('BENCH_QUEUE_BUILDS', 20, 10);
const SCALE = { builds: num('BENCH_SCALE_BUILDS', 50, 10), checkpoints: num('BENCH_SCALE_CHECKPOINTS', 3, 3), ticks: num('BENCH_SCALE_TICKS', 20, 5) };

/** The machine's load (1-minute average) around each part: the 2-core machine is shared, so each figure carries it. */
const loads: Record<string, { before: number; after: number }> = {};
async function measured<T>(part: string, run: () => Promise<T>): Promise<T> {
  const before = Number((loadavg()[0] ?? 0).toFixed(2));
  const result = await run();
  loads[part] = { before, after: Number((loadavg()[0] ?? 0).toFixed(2)) };
  return result;
}
const loadOf = (part: string) => (loads[part] ? `load ${loads[part].before}->${loads[part].after}` : '');

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;

async function main(): Promise<void> {
  for (const p of only ?? []) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: unknown part ${p} (parts: ${PARTS.join(', ')})`);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-'));
  const server = await startDevServer({ port: await freePort(), uiPort: await freePort(), ip: '127.0.0.1', dbFile: join(dir, 'temporal.db'), headless: true });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'nightshift-bench';
  const bundlePath = join(dir, 'workflows.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('../src/workflows'), logger: silent })).code);
  const floorBundle = join(dir, 'floor.js');
  writeFileSync(floorBundle, (await bundleWorkflowCode({ workflowsPath: require.resolve('./floor/workflows'), logger: silent })).code);
  const floor = want('orchestration') ? await floorWorker(server.address, floorBundle) : null;
  const worker = await createNightshiftWorker({ connection: native, namespace: 'default', home: join(dir, 'home'), taskQueue, workflowBundle: { codePath: bundlePath } });
  const scenario = join(dir, 'scenario.json');
  // "Doing nothing": the agent starts, prints its header line and exits 0.
  writeFileSync(scenario, JSON.stringify({ otherwise: [] }));
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const inProcess = await worker.runUntil(async () => {
    log('warm-up build ...');
    await nightshiftBuild(client, taskQueue, 2, scenario);
    const bash: number[] = [];
    const nightshift: number[] = [];
    const floorOne: number[] = [];
    const floorTwo: number[] = [];
    if (floor)
      await measured('orchestration', () =>
        floor.runUntil(async () => {
          // Side by side: each run does the bash loop, the two floor workflows, then the build, so all see the same load.
          for (let i = 0; i < RUNS; i++) {
            bash.push(bashLoop(CHECKPOINTS, scenario));
            floorOne.push(await floorRun(client, 'floorOneActivity', CHECKPOINTS, scenario));
            floorTwo.push(await floorRun(client, 'floorTwoActivities', CHECKPOINTS, scenario));
            nightshift.push(await nightshiftBuild(client, taskQueue, CHECKPOINTS, scenario));
            log(
              `run ${i + 1}/${RUNS}: bash loop ${bash[i]?.toFixed(0)} ms, floor ${floorOne[i]?.toFixed(0)} / ${floorTwo[i]?.toFixed(0)} ms, nightshift ${nightshift[i]?.toFixed(0)} ms (load ${loadavg()[0]?.toFixed(2)})`,
            );
          }
        }),
      );
    const history = want('history') ? await measured('history', () => benchHistoryEvents({ client, taskQueue, checkpoints: 3 })) : null;
    const signals = want('signals') ? await measured('signals', () => signalLatency(client, taskQueue, Math.max(5, RUNS))) : null;
    if (want('queue')) log(`enqueue-to-agent-start latency over ${QUEUE_BUILDS} queued builds ...`);
    const queue = want('queue') ? await measured('queue', () => benchQueueLatency({ client, taskQueue, builds: QUEUE_BUILDS })) : null;
    return { bash, nightshift, floorOne, floorTwo, history, signals, queue };
  });
  if (want('loss')) log(`worker loss recovery, ${LOSS_RUNS} runs each (real worker processes) ...`);
  const workerLoss = want('loss') ? await measured('loss', () => benchWorkerLoss({ client, address: server.address, runs: LOSS_RUNS, log })) : null;
  const scale = want('scale') ? await measured('scale', () => benchScale({ client, address: server.address, bundle: bundlePath, ...SCALE, log })) : null;
  await connection.close();
  await native.close();
  await server.stop();

  const b = inProcess.bash.length ? median(inProcess.bash) : 0;
  const n = inProcess.nightshift.length ? median(inProcess.nightshift) : 0;
  const s = inProcess.signals;
  const summary = {
    at: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    /** 1-minute load average before and after each part (other work shares the machine). */
    load: loads,
    checkpoints: CHECKPOINTS,
    runs: RUNS,
    orchestration: b
      ? {
          bashLoopMedianMs: Math.round(b),
          nightshiftMedianMs: Math.round(n),
          ratio: Number((n / b).toFixed(2)),
          /** Median of each run's own ratio (its bash loop and its build ran back to back): steadier under a changing load. */
          pairedRatio: Number(median(inProcess.nightshift.map((x, i) => x / (inProcess.bash[i] as number))).toFixed(2)),
          overheadPerCheckpointMs: Math.round((n - b) / CHECKPOINTS),
          bashLoopMs: inProcess.bash.map(Math.round),
          nightshiftMs: inProcess.nightshift.map(Math.round),
          floor: {
            oneActivityMedianMs: Math.round(median(inProcess.floorOne)),
            oneActivityRatio: Number((median(inProcess.floorOne) / b).toFixed(2)),
            twoActivitiesMedianMs: Math.round(median(inProcess.floorTwo)),
            twoActivitiesRatio: Number((median(inProcess.floorTwo) / b).toFixed(2)),
          },
        }
      : null,
    history: inProcess.history,
    signals: s
      ? {
          pauseNowToAgentGoneMedianMs: Math.round(median(s.pauseNowMs)),
          pauseNowP95Ms: Math.round(percentile(s.pauseNowMs, 95)),
          resumeToNextAgentMedianMs: Math.round(median(s.resumeMs)),
          resumeP95Ms: Math.round(percentile(s.resumeMs, 95)),
          pauseNowMs: s.pauseNowMs.map(Math.round),
          resumeMs: s.resumeMs.map(Math.round),
        }
      : null,
    queue: inProcess.queue,
    workerLoss,
    scale,
  };
  const out = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `${summary.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);

  log('');
  for (const r of benchRows(summary)) log(`${r.what.padEnd(62)} ${r.got.padEnd(64)} target ${r.target.padEnd(32)} ${loadOf(r.part)}`);
  const h = summary.history;
  if (h) {
    log(`history of a middle checkpoint by type: ${JSON.stringify(h.perCheckpointByType)}`);
    log(`history of the whole build by type: ${JSON.stringify(h.byType)}\nby activity: ${JSON.stringify(h.byActivity)}; signals: ${JSON.stringify(h.bySignal)}`);
  }
  log(`written to ${file}; npm run bench:readme puts the newest figures into README.md`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
