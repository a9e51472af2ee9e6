import { join } from 'node:path';
import { z } from 'zod';
import { nightshiftHome } from '../../config/connection';
import { recordUiUrl } from '../../config/uiAddress';
import { startDevServer } from '../../server/devServer';
import { InvalidInputError } from '../../model/errors';
import { type Command, parseOptions, print } from '../cli';
import { runPostgresServer } from './serverPostgres';

const port = z.string().regex(/^\d+$/, 'expected a port number').transform(Number).refine((n) => n > 0 && n < 65536, 'expected a port number from 1 to 65535');
const Options = z.object({
  port: port.default(7233),
  'ui-port': port.default(8233),
  db: z.string().optional(),
  ip: z.string().default('127.0.0.1'),
  postgres: z.string().optional(),
});

export const server: Command = {
  name: 'server',
  summary: 'Run the Temporal dev server in the foreground, with a SQLite file, the Web UI and Nightshift\'s search attributes.',
  usage: 'nightshift server [--port 7233] [--ui-port 8233] [--db FILE] [--ip 127.0.0.1] [--postgres URL]',
  help: `
Runs \`temporal server start-dev\`. The Temporal CLI is found from TEMPORAL_CLI, \`temporal\` on PATH or
Nightshift's cache; otherwise it is built once with Go (a few minutes; later runs reuse it).

Options:
  --port N      frontend (gRPC) port (default 7233)
  --ui-port N   Web UI port (default 8233)
  --db FILE     SQLite database: builds survive restarts (default NIGHTSHIFT_HOME/temporal.db)
  --ip ADDR     address to bind (default 127.0.0.1)
  --postgres URL  run the real Temporal server (not the dev server) on PostgreSQL instead, e.g.
                postgres://temporal:PASSWORD@db:5432/temporal (databases temporal, temporal_visibility).
                Builds the server and its sql tool once with Go, creates or upgrades the schema,
                starts with the config of deploy/temporal/ (ports --port, --port+1, +2, +6, +10 and
                --port-300..-294), creates the namespace and search attributes. No Web UI: run the
                temporalio/ui image (see docker-compose.yml). More nodes on the same database form
                one cluster; on other machines, give each --ip 0.0.0.0 and
                TEMPORAL_BROADCAST_ADDRESS=<the address the other nodes reach it at>.

Ctrl-C stops the server cleanly.`,
  async run(argv) {
    const { options: o } = parseOptions(
      'server',
      argv,
      { port: { type: 'string' }, 'ui-port': { type: 'string' }, db: { type: 'string' }, ip: { type: 'string' }, postgres: { type: 'string' } },
      Options,
    );
    if (o.postgres !== undefined) {
      if (o.db !== undefined) throw new InvalidInputError('--db is the dev server\'s SQLite file; it does not go with --postgres', '--db');
      return runPostgresServer({ postgres: o.postgres, port: o.port, ip: o.ip });
    }
    const dbFile = o.db ?? join(nightshiftHome(), 'temporal.db');
    const dev = await startDevServer({ port: o.port, uiPort: o['ui-port'], ip: o.ip, dbFile, stdio: 'inherit' });
    // The CLI and workers that talk to this server link to this UI (NIGHTSHIFT_UI_URL still wins).
    recordUiUrl(nightshiftHome(), dev.address, dev.uiUrl);
    print(`Temporal dev server ready at ${dev.address} (database ${dbFile})`);
    print(`Web UI: ${dev.uiUrl}`);
    print('Next: `nightshift worker` in another terminal. Ctrl-C stops the server.');
    const stop = () => void dev.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const code = await new Promise<number>((resolve) => dev.process.once('exit', (c) => resolve(c ?? 0)));
    print('Temporal dev server stopped.');
    return code === 0 || code === 143 || code === 130 ? 0 : code;
  },
};
