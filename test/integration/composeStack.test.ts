import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { serverIsHealthy } from '../../src/server/devServer';
import { serverPorts } from '../../src/server/serverConfig';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/shared/searchAttributes';
import { ensureTemporalCli } from '../../src/server/temporalCli';
import { ensureTemporalServer } from '../../src/server/temporalServerBinary';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { serverPort } from '../support/postgresServer';
import { tempDir } from '../support/repo';
import { eventually } from '../support/temporal';
import { exited } from '../support/workerProcess';

/**
 * docker-compose.yml's Temporal services without containers: the same scripts from deploy/temporal/
 * and the server started as the compose file starts it (`temporal-server --env nightshift` in a
 * directory whose config/ is deploy/temporal, the compose environment), on a PostgreSQL of the
 * test's own with fresh databases. Only the ports differ (free ones instead of 7233...).
 */
const deploy = join(__dirname, '..', '..', 'deploy', 'temporal');
let pg: TestPostgres | undefined;
let server: ChildProcess | undefined;

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    await exited(server);
  }
  pg?.stop();
});

describe('the compose stack, run from deploy/temporal without Docker', () => {
  it('sets up the schema, starts the server with the mounted config, and creates the namespace and search attributes', async () => {
    const db = pg as TestPostgres;
    const u = new URL(db.url);
    const { server: serverBin, sqlTool, moduleDir } = await ensureTemporalServer(() => undefined);
    const cli = await ensureTemporalCli(() => undefined);
    // The admin-tools image's programs, by their names there.
    const bin = join(tempDir('compose-bin'), 'bin');
    mkdirSync(bin);
    symlinkSync(sqlTool, join(bin, 'temporal-sql-tool'));
    symlinkSync(cli, join(bin, 'temporal'));
    const composeEnv = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: u.port,
      POSTGRES_USER: u.username,
      POSTGRES_PWD: u.password,
      DBNAME: 'compose',
      VISIBILITY_DBNAME: 'compose_visibility',
    };

    execFileSync('sh', [join(deploy, 'setup-postgres.sh')], { env: { ...composeEnv, TEMPORAL_SCHEMA_DIR: join(moduleDir, 'schema') }, stdio: 'pipe' });
    expect(db.query('postgres', "select datname from pg_database where datname like 'compose%' order by 1").flat()).toEqual(['compose', 'compose_visibility']);

    // /etc/temporal in the server image, with deploy/temporal mounted as its config/.
    const root = tempDir('etc-temporal');
    symlinkSync(deploy, join(root, 'config'));
    const port = await serverPort();
    const p = serverPorts(port);
    const portEnv = {
      FRONTEND_GRPC_PORT: p.frontend, FRONTEND_HTTP_PORT: p.frontendHttp, HISTORY_GRPC_PORT: p.history, MATCHING_GRPC_PORT: p.matching, WORKER_GRPC_PORT: p.worker,
      FRONTEND_MEMBERSHIP_PORT: p.frontendMembership, HISTORY_MEMBERSHIP_PORT: p.historyMembership, MATCHING_MEMBERSHIP_PORT: p.matchingMembership, WORKER_MEMBERSHIP_PORT: p.workerMembership,
    };
    server = spawn(serverBin, ['--env', 'nightshift', '--allow-no-auth', 'start'], {
      cwd: root,
      env: { ...composeEnv, BIND_ON_IP: '127.0.0.1', ...Object.fromEntries(Object.entries(portEnv).map(([k, v]) => [k, String(v)])) },
      stdio: 'ignore',
    });
    const address = `127.0.0.1:${port}`;
    await eventually(async () => ((await serverIsHealthy(address)) ? true : undefined), 120_000, 'the server started as compose starts it');

    const env = { ...composeEnv, TEMPORAL_ADDRESS: address };
    execFileSync('sh', [join(deploy, 'create-namespace.sh')], { env, stdio: 'pipe', timeout: 120_000 });
    // Again, as a restarted stack runs it: nothing to add, no failure.
    execFileSync('sh', [join(deploy, 'create-namespace.sh')], { env, stdio: 'pipe', timeout: 120_000 });

    const connection = await Connection.connect({ address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {}).sort()).toEqual(SEARCH_ATTRIBUTES.map((a) => a.name).sort());
    } finally {
      await connection.close();
    }
  }, 20 * 60_000);
});
