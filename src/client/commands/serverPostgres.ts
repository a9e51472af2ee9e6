import { join } from 'node:path';
import { nightshiftHome } from '../../config/connection';
import { describeTarget, parsePostgresUrl } from '../../server/postgresSchema';
import { startTemporalServer } from '../../server/temporalServer';
import { print } from '../cli';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** `nightshift server --postgres URL`: the real Temporal server in the foreground until Ctrl-C. */
export async function runPostgresServer(o: { postgres: string; port: number; ip: string }): Promise<number> {
  const postgres = parsePostgresUrl(o.postgres);
  const stateDir = join(nightshiftHome(), 'temporal-server');
  const server = await startTemporalServer({ postgres, port: o.port, ip: o.ip, stateDir });
  const t = server.timings;
  print(`Temporal server ready at ${server.address} (PostgreSQL ${describeTarget(postgres)})`);
  print(`  build ${seconds(t.build)}, schema ${seconds(t.schema)}, start ${seconds(t.start)}, namespace ${seconds(t.namespace)}; log ${join(stateDir, 'server.log')}`);
  print('Web UI: not part of the server binary. Run the temporalio/ui image (the temporal-ui service of');
  print(`  docker-compose.yml), e.g. docker run -p 8233:8080 -e TEMPORAL_ADDRESS=<this host>:${o.port} temporalio/ui:2.42.1`);
  print(`Next: TEMPORAL_ADDRESS=${server.address} nightshift worker. Ctrl-C stops the server.`);
  const stop = () => void server.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await new Promise<number | null>((resolve) => {
    if (server.process.exitCode !== null || server.process.signalCode !== null) resolve(server.process.exitCode);
    else server.process.once('exit', (c) => resolve(c));
  });
  print('Temporal server stopped.');
  return code === null || code === 0 || code === 143 || code === 130 ? 0 : code;
}
