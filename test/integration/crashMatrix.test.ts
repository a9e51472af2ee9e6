import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../src/server/devServer';
import { freePort } from '../../src/server/ports';
import { checkTrial, COST_PER_SESSION, commitsOn, finalView, normal, startTrial, type TrialFiles, trialFiles, type TrialSpec, untilFile } from '../support/crashTrial';
import { tempDir } from '../support/repo';
import { eventually } from '../support/temporal';
import { exited, startWorkerProcess } from '../support/workerProcess';

/**
 * The crash matrix (issue 11): a 3-checkpoint build's worker SIGKILLed at ten points across its
 * phases, and the dev server SIGKILLed and restarted on its database at three. The worker-kill
 * trials share a dev server of their own that suggests continue-as-new after 40 events, so every
 * build also crosses runs. Trials run concurrently (jest's maxConcurrency, 5).
 * NIGHTSHIFT_CRASH_ROUNDS=n repeats every trial n times (the longer mode).
 */
const ROUNDS = Number(process.env.NIGHTSHIFT_CRASH_ROUNDS ?? 1);

/** Waits at a marker: `touch marker`, then 20 s (a killed worker's orphan must not outlive the build), only the first time (flag). */
const waitOnce = (f: TrialFiles, name: string) => `if [ ! -e ${f.dir}/${name}.flag ]; then touch ${f.dir}/${name}.flag ${f.marker}; sleep 20; fi; true`;

interface Point extends TrialSpec {
  name: string;
  /** Resolves at the moment to kill. */
  at: (f: TrialFiles, handle: WorkflowHandle) => Promise<unknown>;
}

const workerPoints: Point[] = [
  { name: 'queue-admission', viaQueue: true, at: async () => undefined },
  { name: 'workspace-ready', at: (f) => eventually(() => (existsSync(join(f.home, 'workspaces', f.label)) ? true : undefined), 60_000, 'the worktree') },
  { name: 'session-start', rules: (f) => [{ when: { checkpoint: '1' }, times: 1, do: [{ write: { path: f.marker, content: 'x' } }, { sleep: 60_000 }] }], at: (f) => untilFile(f.marker, 'session 1') },
  {
    name: 'mid-session',
    rules: (f) => [{ when: { checkpoint: '2' }, times: 1, do: [{ pidFile: f.marker }, { tick: { every: 300, count: 30, text: 'long work' } }, ...normal(2)] }],
    at: async (f) => {
      await untilFile(f.marker, 'session 2');
      await new Promise((r) => setTimeout(r, 1000));
    },
  },
  {
    name: 'session-end',
    // The agent has done its work and printed its note and cost, but not exited: the result is lost.
    rules: (f) => [{ when: { checkpoint: '2' }, times: 1, do: [{ edit: true }, { print: 'DEVNOTE discovery: note of checkpoint 2' }, { print: `nightshift-scripted-cost ${COST_PER_SESSION}` }, { write: { path: f.marker, content: 'x' } }, { sleep: 60_000 }] }],
    at: (f) => untilFile(f.marker, 'the end of session 2'),
  },
  { name: 'verification', verify: (f) => [`if [ "$(git log -1 --format=%s)" = "checkpoint-1: Step 1" ]; then ${waitOnce(f, 'verify')}; fi`], at: (f) => untilFile(f.marker, 'verification of checkpoint 2') },
  {
    name: 'fix-session',
    // Checkpoint 3's verification fails once; the session that fixes it is killed.
    verify: (f) => [`if [ "$(git log -1 --format=%s)" = "checkpoint-2: Step 2" ] && [ ! -e ${f.dir}/v3.flag ]; then touch ${f.dir}/v3.flag; exit 1; fi; true`],
    rules: (f) => [{ when: { session: 4 }, times: 1, do: [{ write: { path: f.marker, content: 'x' } }, { sleep: 60_000 }] }],
    at: (f) => untilFile(f.marker, 'the fix session'),
  },
  {
    name: 'commit-before-record',
    // The commit exists; the activity that made it has not returned (the post-commit hook holds it).
    postCommit: (f) => `if [ "$(git log -1 --format=%s)" = "checkpoint-2: Step 2" ] && [ ! -e ${f.dir}/hook.flag ]; then touch ${f.dir}/hook.flag ${f.marker}; i=0; while [ ! -e ${f.go} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; fi`,
    at: (f) => untilFile(f.marker, 'the commit of checkpoint 2'),
  },
  {
    name: 'continue-as-new',
    at: async (_f, handle) => {
      const first = (await handle.describe()).runId;
      return eventually(async () => ((await handle.describe()).runId !== first ? true : undefined), 90_000, 'continue-as-new');
    },
  },
  { name: 'after-last-commit', at: (f) => eventually(() => (commitsOn(f) === 3 ? true : undefined), 90_000, 'the third commit') },
];

const serverPoints: Point[] = [workerPoints[3] as Point, workerPoints[5] as Point, workerPoints[7] as Point];

function expectTrial(f: TrialFiles, outcome: { status: string; view: Parameters<typeof checkTrial>[1] }): void {
  expect(outcome.status).toBe('completed');
  const seen = checkTrial(f, outcome.view);
  expect(seen.subjects).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  expect(seen.leftovers).toEqual([]);
  // Every session that returned left its note and cost exactly once; none of a lost session.
  expect(seen.notes).toHaveLength(seen.returned);
  for (const c of [1, 2, 3]) expect(seen.notes).toContain(`note of checkpoint ${c}`);
  expect(seen.spent).toBe(Number((seen.returned * COST_PER_SESSION).toFixed(2)));
}

async function server(dir: string, extra: Record<string, unknown> = {}): Promise<{ start: () => Promise<DevServer>; address: string }> {
  const options = { port: await freePort(), uiPort: await freePort(), ip: '127.0.0.1', dbFile: join(dir, 'temporal.db'), headless: true, ...extra };
  return { start: () => startDevServer(options), address: `127.0.0.1:${options.port}` };
}

let workerServer: DevServer;
let client: Client;
let connection: Connection;
const ready = (async () => {
  const s = await server(tempDir('crash-server'), { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  workerServer = await s.start();
  connection = await Connection.connect({ address: workerServer.address });
  client = new Client({ connection });
})();
afterAll(async () => {
  await ready.catch(() => undefined);
  await connection?.close();
  await workerServer?.stop();
});

const rounds = <T>(xs: T[]) => Array.from({ length: ROUNDS }, () => xs).flat();

describe('crash matrix: the worker SIGKILLed', () => {
  it.concurrent.each(rounds(workerPoints).map((p) => [p.name, p] as const))(
    'at %s: completed, one commit per checkpoint, nothing left running, notes and cost kept',
    async (_name, point) => {
      await ready;
      const f = trialFiles(point.name);
      const taskQueue = `crash-${point.name}-${Date.now()}`;
      const address = workerServer.address;
      const first = startWorkerProcess({ address, home: f.home, taskQueue });
      let second: ReturnType<typeof startWorkerProcess> | undefined;
      try {
        const handle = await startTrial(client, taskQueue, f, point);
        await point.at(f, handle);
        first.kill('SIGKILL');
        await exited(first);
        writeFileSync(f.go, 'go');
        second = startWorkerProcess({ address, home: f.home, taskQueue });
        expectTrial(f, await finalView(handle));
      } finally {
        first.kill('SIGKILL');
        if (second) {
          second.kill('SIGTERM');
          await exited(second);
        }
      }
    },
    240_000,
  );
});

describe('crash matrix: the dev server SIGKILLed and restarted on its database', () => {
  it.concurrent.each(rounds(serverPoints).map((p) => [p.name, p] as const))(
    'at %s: the build completes with one commit per checkpoint',
    async (_name, point) => {
      const f = trialFiles(`server-${point.name}`);
      const s = await server(f.dir);
      let dev = await s.start();
      const conn = await Connection.connect({ address: s.address });
      const c = new Client({ connection: conn });
      const taskQueue = `crash-server-${point.name}`;
      const worker = startWorkerProcess({ address: s.address, home: f.home, taskQueue });
      try {
        const handle = await startTrial(c, taskQueue, f, point);
        await point.at(f, handle);
        dev.process.kill('SIGKILL');
        await new Promise((r) => dev.process.once('exit', r));
        writeFileSync(f.go, 'go');
        await new Promise((r) => setTimeout(r, 1000));
        dev = await s.start();
        expectTrial(f, await eventually(() => finalView(handle), 180_000, 'the build after the restart'));
      } finally {
        worker.kill('SIGTERM');
        await exited(worker);
        await conn.close();
        await dev.stop();
      }
    },
    240_000,
  );
});
