import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { buildStatus, parseBuildRequest, startBuild } from '../../src/client/builds';
import { ensureTemporalServer, serverBinDir } from '../../src/server/temporalServerBinary';
import { createNightshiftWorker } from '../../src/worker/createWorker';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { eventually } from '../support/temporal';
import { interrupt as stop, serverPort, type ServerProcess, startPostgresServer as startServer, untilReady } from '../support/postgresServer';

/**
 * The real Temporal server on PostgreSQL, self-contained: a PostgreSQL of its own (temp data dir,
 * free port, non-root), `nightshift server --postgres` from dist/ as a child process, an unchanged
 * three-checkpoint build on it. The shared dev server of the other tests is not touched.
 */
const figures: string[] = [];
let pg: TestPostgres | undefined;
let server: ServerProcess | undefined;

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  if (server) await stop(server);
  pg?.stop();
  if (figures.length) process.stderr.write(`postgres.test figures:\n  ${figures.join('\n  ')}\n`);
});

function expectReadiness(child: ServerProcess, port: number): void {
  expect(child.output()).toContain(`Temporal server ready at 127.0.0.1:${port} (PostgreSQL postgres://temporal@127.0.0.1:`);
  expect(child.output()).toContain('Web UI: not part of the server binary');
}

describe('nightshift server --postgres', () => {
  it('runs the real Temporal server on its own PostgreSQL: schema, namespace, restart, and a three-checkpoint build with three commits', async () => {
    const db = pg as TestPostgres;
    const port = await serverPort();
    const home = tempDir('pg-server-home');
    const built = serverBinDir();

    // First start: the schema is created (and the server built once, when the cache has none).
    const cache = existsSync(join(built, 'server')) && existsSync(join(built, 'sql')) ? 'server cached' : 'server built now';
    server = startServer(db.url, port, home);
    figures.push(`first start (${cache}): ${await untilReady(server, 15 * 60_000)}`);
    expectReadiness(server, port);
    expect(await stop(server)).toBe(0);
    expect(server.output()).toContain('Temporal server stopped.');
    // The password never reaches the output.
    expect(server.output()).not.toContain(new URL(db.url).password);

    // docker-compose's schema script (generated from the same steps) on the same databases: an upgrade
    // with nothing to do, like every later start.
    const { sqlTool, moduleDir } = await ensureTemporalServer(() => undefined);
    const tools = join(tempDir('pg-tools'), 'bin');
    mkdirSync(tools);
    symlinkSync(sqlTool, join(tools, 'temporal-sql-tool'));
    const u = new URL(db.url);
    execFileSync('sh', [join(__dirname, '..', '..', 'deploy', 'temporal', 'setup-postgres.sh')], {
      env: { ...process.env, PATH: `${tools}:${process.env.PATH}`, TEMPORAL_SCHEMA_DIR: join(moduleDir, 'schema'), POSTGRES_SEEDS: u.hostname, DB_PORT: u.port, POSTGRES_USER: u.username, POSTGRES_PWD: u.password },
      stdio: 'pipe',
    });

    // Second start on the existing databases and namespace.
    server = startServer(db.url, port, home);
    figures.push(`second start: ${await untilReady(server, 5 * 60_000)}`);
    expectReadiness(server, port);

    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      /* installed by another test file in this jest worker */
    }
    const address = `127.0.0.1:${port}`;
    const connection = await Connection.connect({ address });
    const nativeConnection = await NativeConnection.connect({ address });
    try {
      const client = new Client({ connection });
      const repo = makeRepo();
      const label = `pg-${Date.now()}`;
      const taskQueue = `pg-${label}`;
      const scenario = writeJson(join(tempDir('scenario'), 'scenario.json'), { rules: [] });
      const request = parseBuildRequest({ label, repo, plan: samplePlan(3), agent: { kind: 'scripted', scenario }, policy: { stallTimeout: '1m' } });
      const worker = await createNightshiftWorker({
        connection: nativeConnection,
        namespace: 'default',
        home: tempDir('pg-worker-home'),
        taskQueue,
        workflowBundle: { codePath: process.env.NIGHTSHIFT_TEST_BUNDLE as string },
      });
      const started = Date.now();
      const status = await worker.runUntil(async () => {
        const handle = await startBuild(client, request, { taskQueue });
        await handle.result();
        figures.push(`three-checkpoint build on the PostgreSQL server: ${((Date.now() - started) / 1000).toFixed(1)}s`);
        return buildStatus(client, label);
      });

      expect(status.status).toBe('completed');
      expect(status.checkpoints.map((c) => c.status)).toEqual(['completed', 'completed', 'completed']);
      expect(gitIn(repo, 'log', '--format=%s', `nightshift/${label}`).split('\n')).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1', 'initial']);
      // Nightshift's search attributes are registered on this server: the build is found by its label.
      const found = await eventually(async () => {
        const { count } = await client.workflow.count(`NightshiftLabel = '${label}' AND NightshiftStatus = 'completed'`);
        return count > 0 ? count : undefined;
      }, 30_000, 'the build in visibility by NightshiftLabel');
      expect(found).toBe(1);

      // The CLI finds this server through a Temporal environment-config profile, as a team points it.
      const toml = join(tempDir('pg-profile'), 'temporal.toml');
      writeFileSync(toml, `[profile.team]\naddress = "${address}"\nnamespace = "default"\n`);
      const { TEMPORAL_ADDRESS: _devServer, ...env } = process.env;
      const listed = execFileSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js'), 'status', '--json'], {
        env: { ...env, TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'team' },
        encoding: 'utf8',
      });
      expect((JSON.parse(listed) as { label: string; status: string }[]).find((b) => b.label === label)).toMatchObject({ status: 'completed' });
    } finally {
      await connection.close();
      await nativeConnection.close();
    }

    expect(await stop(server)).toBe(0);
    server = undefined;
  }, 25 * 60_000);
});
