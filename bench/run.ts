/**
 * `npm run bench`: Nightshift against the floor, on this machine, in one process of measurement.
 * Starts its own dev server and an in-process worker; writes bench/results/<timestamp>.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startDevServer } from '../src/server/devServer';
import { freePort } from '../src/server/ports';
import { createNightshiftWorker } from '../src/worker/createWorker';
import { bashLoop, median, nightshiftBuild, percentile, signalLatency } from './buildBench';
import { benchQueueLatency } from './queueLatency';
import { benchWorkerLoss } from './workerLoss';

const CHECKPOINTS = Number(process.env.BENCH_CHECKPOINTS ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LOSS_RUNS = Number(process.env.BENCH_LOSS_RUNS ?? 3);

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-'));
  const server = await startDevServer({ port: await freePort(), uiPort: await freePort(), ip: '127.0.0.1', dbFile: join(dir, 'temporal.db'), headless: true });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'nightshift-bench';
  const worker = await createNightshiftWorker({ connection: native, namespace: 'default', home: join(dir, 'home'), taskQueue });
  const scenario = join(dir, 'scenario.json');
  // "Doing nothing": the agent starts, prints its header line and exits 0.
  writeFileSync(scenario, JSON.stringify({ otherwise: [] }));
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const results = await worker.runUntil(async () => {
    log(`warm-up build ...`);
    await nightshiftBuild(client, taskQueue, 2, scenario);
    const bash: number[] = [];
    const nightshift: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bash.push(bashLoop(CHECKPOINTS, scenario));
      nightshift.push(await nightshiftBuild(client, taskQueue, CHECKPOINTS, scenario));
      log(`run ${i + 1}/${RUNS}: bash loop ${bash[i]?.toFixed(0)} ms, nightshift ${nightshift[i]?.toFixed(0)} ms`);
    }
    const signals = await signalLatency(client, taskQueue, Math.max(5, RUNS));
    log('enqueue-to-agent-start latency over 20 queued builds ...');
    const queue = await benchQueueLatency({ client, taskQueue, builds: 20 });
    return { bash, nightshift, signals, queue };
  });
  log(`worker loss recovery, ${LOSS_RUNS} runs each (real worker processes) ...`);
  const workerLoss = await benchWorkerLoss({ client, address: server.address, runs: LOSS_RUNS, log });
  await connection.close();
  await native.close();
  await server.stop();

  const b = median(results.bash);
  const n = median(results.nightshift);
  const summary = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    checkpoints: CHECKPOINTS,
    runs: RUNS,
    orchestration: {
      bashLoopMedianMs: Math.round(b),
      nightshiftMedianMs: Math.round(n),
      ratio: Number((n / b).toFixed(2)),
      overheadPerCheckpointMs: Math.round((n - b) / CHECKPOINTS),
      bashLoopMs: results.bash.map(Math.round),
      nightshiftMs: results.nightshift.map(Math.round),
    },
    signals: {
      pauseNowToAgentGoneMedianMs: Math.round(median(results.signals.pauseNowMs)),
      pauseNowP95Ms: Math.round(percentile(results.signals.pauseNowMs, 95)),
      resumeToNextAgentMedianMs: Math.round(median(results.signals.resumeMs)),
      resumeP95Ms: Math.round(percentile(results.signals.resumeMs, 95)),
      pauseNowMs: results.signals.pauseNowMs.map(Math.round),
      resumeMs: results.signals.resumeMs.map(Math.round),
    },
    queue: results.queue,
    workerLoss,
  };
  const out = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `${summary.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  log('');
  log(`${CHECKPOINTS} checkpoints, median of ${RUNS}: bash loop ${summary.orchestration.bashLoopMedianMs} ms, nightshift ${summary.orchestration.nightshiftMedianMs} ms`);
  log(`  ratio ${summary.orchestration.ratio}x, overhead ${summary.orchestration.overheadPerCheckpointMs} ms per checkpoint`);
  log(`pause --now to agent gone: median ${summary.signals.pauseNowToAgentGoneMedianMs} ms (p95 ${summary.signals.pauseNowP95Ms})`);
  log(`resume to next agent started: median ${summary.signals.resumeToNextAgentMedianMs} ms (p95 ${summary.signals.resumeP95Ms})`);
  log(
    `enqueue to agent start: median ${Math.round(results.queue.median_ms)} ms (p95 ${Math.round(results.queue.p95_ms)}) over ${results.queue.n} builds; ` +
      `seed 002's heartbeat: ${results.queue.baseline_avg_ms / 1000} s on average, up to ${results.queue.baseline_max_ms / 1000} s`,
  );
  log(
    `lost worker (SIGKILL) to agent running again: median ${workerLoss.killToAgentMedianMs} ms, ` +
      `${workerLoss.afterHeartbeatTimeoutMedianMs} ms after the ${workerLoss.heartbeatTimeoutMs / 1000} s heartbeat timeout; ` +
      `graceful stop (SIGTERM): median ${workerLoss.termToAgentMedianMs} ms`,
  );
  log(`written to ${file}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
