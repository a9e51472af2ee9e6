import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { failoverScenario } from '../support/failover';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { interrupt, serverPort, type ServerProcess, startPostgresServer, untilReady } from '../support/postgresServer';
import { tempDir } from '../support/repo';

/**
 * Issue 9's first test as written: PostgreSQL of its own (non-root), the real Temporal server from
 * `nightshift server --postgres` (dist/), two `nightshift worker` processes as two hosts and a bare
 * origin; the owner SIGKILLed during checkpoint 2; the other host takes over and finishes.
 */
let pg: TestPostgres | undefined;
let server: ServerProcess | undefined;

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  if (server) await interrupt(server);
  pg?.stop();
});

describe('hosts on PostgreSQL and the real Temporal server', () => {
  it('the owning host SIGKILLed during checkpoint 2: the other host takes over from the pushed checkpoint and the remote branch has one commit per checkpoint', async () => {
    const port = await serverPort();
    server = startPostgresServer((pg as TestPostgres).url, port, tempDir('hosts-pg-server'));
    await untilReady(server, 15 * 60_000);
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      /* installed by another test file in this jest worker */
    }
    const address = `127.0.0.1:${port}`;
    const connection = await Connection.connect({ address });
    try {
      const figure = await failoverScenario(new Client({ connection }), address);
      process.stderr.write(`failover (PostgreSQL, real server): ${figure}\n`);
    } finally {
      await connection.close();
    }
    expect(await interrupt(server)).toBe(0);
    server = undefined;
  }, 20 * 60_000);
});
