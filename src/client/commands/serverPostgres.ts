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
  const broadcastAddress = process.env.TEMPORAL_BROADCAST_ADDRESS;
  const server = await startTemporalServer({ postgres, port: o.port, ip: o.ip, stateDir, ...(broadcastAddress ? { broadcastAddress } : {}) });
  const t = server.timings;
  print(`Temporal server ready at ${server.address} (PostgreSQL ${describeTarget(postgres)})`);
  print(`  build ${seconds(t.build)}, schema ${seconds(t.schema)}, start ${seconds(t.start)}, namespace ${seconds(t.namespace)}; log ${join(stateDir, 'server.log')}`);
  print('Web UI: not part of the server binary. Run the temporalio/ui image (the temporal-ui service of');
  print(`  docker-compose.yml), e.g. docker run -p 8233:8080 -e TEMPORAL_ADDRESS=<this host>:${o.port} temporalio/ui:2.42.1`);
  print(`Next: TEMPORAL_ADDRESS=${server.address} nightshift worker. Ctrl-C stops the server.`);
  let stopping = false;
  const stop = () => {
    stopping = true;
    void server.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    if (server.process.exitCode !== null || server.process.signalCode !== null) resolve([server.process.exitCode, server.process.signalCode]);
    else server.process.once('exit', (c, s) => resolve([c, s]));
  });
  if (!stopping) {
    print(`Temporal server exited unexpectedly (${signal ?? `code ${code}`}); see ${join(stateDir, 'server.log')}.`);
    return 1;
  }
  print('Temporal server stopped.');
  return code === null || code === 0 || code === 143 || code === 130 ? 0 : code;
}
