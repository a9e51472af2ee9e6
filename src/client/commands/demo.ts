import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { z } from 'zod';
import { connectionConfig, runUrl } from '../../config/connection';
import { EnvironmentError } from '../../model/errors';
import { type DevServer, serverIsHealthy, startDevServer } from '../../server/devServer';
import { freePort, portIsFree } from '../../server/ports';
import type { BuildStatusView } from '../../workflows/build/state';
import { ensureSearchAttributes } from '../../server/searchAttributes';
import { ensureTemporalCli } from '../../server/temporalCli';
import { createNightshiftWorker } from '../../worker/createWorker';
import { parseBuildRequest, startBuild } from '../builds';
import { type Command, parseOptions, print } from '../cli';
import { connect } from '../connect';
import { followBuild } from '../follow';

const DEMO_QUEUE = 'nightshift-demo';

function demoPlan() {
  const checkpoint = (id: number, title: string, goal: string, tasks: string[]) => ({
    id,
    title,
    goal,
    task_groups: [{ id: `${id}.1`, title, tasks: tasks.map((description, i) => ({ id: `${id}.1.${i + 1}`, description })) }],
    testing_strategy: { verification_steps: [{ name: 'work file exists', run: `test -s work/checkpoint-${id}/group-${id}.1.md` }] },
  });
  return {
    title: 'Nightshift demo: a tiny todo CLI',
    checkpoints: [
      checkpoint(1, 'Project skeleton', 'A runnable skeleton', ['Create the package layout', 'Add a README']),
      checkpoint(2, 'Todo storage', 'Todos persist in a JSON file', ['Write the storage module', 'Handle a missing file']),
      checkpoint(3, 'Command line', 'add, list and done commands', ['Parse arguments', 'Wire commands to storage']),
    ],
  };
}

const scenario = {
  rules: [
    {
      when: { checkpoint: '2' },
      do: [
        { tick: { every: 400, count: 4, text: 'writing storage module' } },
        { print: 'DEVNOTE discovery: a missing todos.json is an empty list, not an error' },
        { edit: true },
      ],
    },
  ],
  otherwise: [{ tick: { every: 400, count: 3, text: 'working' } }, { edit: true }],
};

export const demo: Command = {
  name: 'demo',
  summary: 'Run a 3-checkpoint build end to end on the embedded Temporal dev server, with the scripted agent.',
  usage: 'nightshift demo [--keep-server]',
  help: `
Ensures the Temporal CLI (building it once with Go if needed), uses the server at TEMPORAL_ADDRESS
(default localhost:7233) if one answers or starts a dev server there, runs a worker in this process,
creates a throw-away git repo, runs the build live, then prints its 3 commits and the Web UI link.
A server the demo started is stopped at the end unless --keep-server is given (then Ctrl-C stops it).`,
  async run(argv) {
    const { options } = parseOptions('demo', argv, { 'keep-server': { type: 'boolean' } }, z.object({ 'keep-server': z.boolean().default(false) }));
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const cliFound = Date.now();
    await ensureTemporalCli((l) => print(l));
    const cliMs = Date.now() - cliFound;
    const cfg = connectionConfig();
    let dev: DevServer | undefined;
    if (await serverIsHealthy(cfg.address)) {
      print(`Using the Temporal server already running at ${cfg.address}.`);
    } else {
      const [host, port] = splitAddress(cfg.address);
      const dir = mkdtempSync(join(tmpdir(), 'nightshift-demo-server-'));
      print(`Starting the Temporal dev server at ${host}:${port} ...`);
      const uiPort = (await portIsFree(8233, host)) ? 8233 : await freePort();
      dev = await startDevServer({ port, uiPort, ip: host, dbFile: join(dir, 'temporal.db') });
      // This server lives as long as the demo: its links point at its own UI, nothing is recorded.
      process.env.NIGHTSHIFT_UI_URL ??= dev.uiUrl;
      print(`  ready; Web UI at ${dev.uiUrl}`);
    }
    const admin = await Connection.connect({ address: cfg.address, ...cfg.options });
    await ensureSearchAttributes(admin, cfg.namespace);
    await admin.close();

    const work = mkdtempSync(join(tmpdir(), 'nightshift-demo-'));
    const repo = join(work, 'todo-app');
    const home = join(work, 'home');
    mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...identity } }).trimEnd();
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), '# todo-app\n');
    git('add', '.');
    git('commit', '-q', '-m', 'initial commit');
    const scenarioFile = join(work, 'scenario.json');
    writeFileSync(scenarioFile, JSON.stringify(scenario, null, 2));
    print(`Throw-away repo: ${repo}`);
    print(`NIGHTSHIFT_HOME for this demo: ${home}`);

    const nativeConnection = await NativeConnection.connect({ address: cfg.address, ...cfg.options });
    print('Starting a worker in this process (bundling workflows) ...');
    const worker = await createNightshiftWorker({ connection: nativeConnection, namespace: cfg.namespace, home, taskQueue: DEMO_QUEUE });
    const label = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '').slice(4)}`;
    const request = parseBuildRequest({ label, repo, plan: demoPlan(), agent: { kind: 'scripted', scenario: scenarioFile }, policy: { stallTimeout: '8s', retryInterval: '2s' } });

    const { client, namespace, close } = await connect();
    let code = 1;
    try {
      const final = await worker.runUntil(async () => {
        const handle = await startBuild(client, request, { taskQueue: DEMO_QUEUE });
        print(`\nBuild ${label} started: ${handle.workflowId}`);
        print(`Web UI: ${runUrl(namespace, handle.workflowId, handle.firstExecutionRunId)}\n`);
        return followBuild(client, label, 300);
      });
      print(`\nBuild ${label} ${final.status} in ${buildSeconds(final)}s (from the build's start to its end). Commits on nightshift/${label}:`);
      print(git('log', '--format=  %h %s', 'main..nightshift/' + label));
      print(`main is untouched: ${git('log', '-1', '--format=%h %s', 'main')}`);
      print(`Progress file: ${join(home, 'builds', label, 'progress.md')}`);
      print(`Web UI: ${runUrl(namespace, final.workflowId, final.runId)}`);
      if (cliMs > 5000) print(`(The one-time Temporal CLI build took ${(cliMs / 1000).toFixed(0)}s before that; later runs reuse it.)`);
      code = final.status === 'completed' ? 0 : 1;
    } finally {
      await close();
      await nativeConnection.close();
    }
    if (dev) {
      if (options['keep-server']) {
        print(`\nThe dev server keeps running at ${dev.address} (Web UI ${dev.uiUrl}); Ctrl-C stops it.`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      } else {
        print('\nStopping the dev server the demo started (use --keep-server to browse the Web UI).');
      }
      await dev.stop();
    }
    return code;
  },
};

const identity = { GIT_AUTHOR_NAME: 'Nightshift demo', GIT_AUTHOR_EMAIL: 'demo@localhost', GIT_COMMITTER_NAME: 'Nightshift demo', GIT_COMMITTER_EMAIL: 'demo@localhost' };

/** The build's own duration, from its recorded start to its end (not the demo's setup). */
function buildSeconds(view: BuildStatusView): string {
  const end = view.finishedAt ? Date.parse(view.finishedAt) : Date.now();
  return ((end - Date.parse(view.startedAt)) / 1000).toFixed(1);
}

function splitAddress(address: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(address);
  if (!m) throw new EnvironmentError(`cannot start a server for TEMPORAL_ADDRESS=${address}: expected host:port`);
  const host = m[1] === 'localhost' ? '127.0.0.1' : (m[1] as string);
  return [host, Number(m[2])];
}
