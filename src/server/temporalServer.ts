import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { EnvironmentError } from '../model/errors';
import { serverIsHealthy } from './devServer';
import { portIsFree } from './ports';
import { describeTarget, setupSchema } from './postgresSchema';
import { ensureSearchAttributes } from './searchAttributes';
import { dynamicConfigYaml, type PostgresTarget, SERVER_CONFIG_ENV, serverConfigYaml, serverEnv, serverPorts } from './serverConfig';
import { ensureTemporalServer } from './temporalServerBinary';

export interface TemporalServerOptions {
  postgres: PostgresTarget;
  port: number;
  ip: string;
  /** Where the generated config and the server's log (server.log) go. */
  stateDir: string;
  namespace?: string;
  /** The address other server nodes reach this one at (nodes on several machines); default --ip. */
  broadcastAddress?: string;
  /** Namespace retention for closed builds (default 7 days). */
  retentionDays?: number;
  log?: (line: string) => void;
}

export interface TemporalServer {
  address: string;
  process: ChildProcess;
  /** Milliseconds spent on each start phase, for the readiness line and the tests' figures. */
  timings: { build: number; schema: number; start: number; namespace: number };
  stop(): Promise<void>;
}

/**
 * The real Temporal server (not the dev server) on PostgreSQL: build it once, create or upgrade the
 * schema, start it with the generated config, then make sure the namespace and Nightshift's search
 * attributes exist. The Web UI is a separate program (temporalio/ui); see docker-compose.yml.
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { ip, postgres } = options;
  const ports = serverPorts(options.port);
  for (const [name, port] of Object.entries(ports)) {
    // The server records membership ports in a PostgreSQL smallint column (measured: 33659 is refused).
    const max = name.endsWith('Membership') ? 32767 : 65535;
    if (port < 1 || port > max) {
      throw new EnvironmentError(`--port ${options.port} puts the ${name} port at ${port}`, 'Pick a --port from 1324 to 33061 (the membership ports, --port minus 300 to 294, must fit PostgreSQL\'s smallint).');
    }
    if (!(await portIsFree(port, ip))) {
      throw new EnvironmentError(
        `Something is already listening on ${ip}:${port} (the server's ${name} port, derived from --port ${options.port})`,
        name === 'frontend' ? `If it is a Temporal server, use it (TEMPORAL_ADDRESS=${ip}:${port}); otherwise pick another --port.` : 'Pick another --port.',
      );
    }
  }

  let phase = Date.now();
  const binaries = await ensureTemporalServer(log);
  const build = Date.now() - phase;
  log(`Setting up the schema on ${describeTarget(postgres)} (${postgres.database}, ${postgres.visibilityDatabase})`);
  const schema = await setupSchema(binaries.sqlTool, binaries.moduleDir, postgres);

  const configDir = join(options.stateDir, 'config');
  const dynamicConfigFile = join(configDir, 'dynamicconfig', `${SERVER_CONFIG_ENV}.yaml`);
  mkdirSync(join(configDir, 'dynamicconfig'), { recursive: true });
  writeFileSync(join(configDir, `${SERVER_CONFIG_ENV}.yaml`), serverConfigYaml());
  writeFileSync(dynamicConfigFile, dynamicConfigYaml());

  phase = Date.now();
  const child = spawn(binaries.server, ['--root', options.stateDir, '--config', 'config', '--env', SERVER_CONFIG_ENV, '--allow-no-auth', 'start'], {
    cwd: options.stateDir,
    env: { ...process.env, ...serverEnv({ postgres, ip, ports, dynamicConfigFile, ...(options.broadcastAddress ? { broadcastAddress: options.broadcastAddress } : {}) }) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so Ctrl-C in the terminal reaches Nightshift first and the stop is ordered.
    detached: true,
  });
  const logFile = createWriteStream(join(options.stateDir, 'server.log'), { flags: 'a' });
  let tail = '';
  const keep = (d: Buffer) => {
    logFile.write(d);
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => logFile.end());
  const address = `${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${ports.frontend}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilHealthy(address, exited, () => tail);
    const start = Date.now() - phase;
    phase = Date.now();
    await ensureNamespace(address, options.namespace ?? 'default', options.retentionDays ?? 7);
    const namespace = Date.now() - phase;
    return { address, process: child, timings: { build, schema, start, namespace }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitUntilHealthy(address: string, exited: Promise<number | null>, output: () => string, timeoutMs = 120_000): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new EnvironmentError(`The Temporal server exited with code ${gone} before it was ready: ${lastError(output())}`);
    if (await serverIsHealthy(address)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new EnvironmentError(`The Temporal server at ${address} did not become healthy within ${timeoutMs / 1000}s: ${lastError(output())}`);
}

function lastError(text: string): string {
  const lines = text.trim().split('\n').filter((l) => /error|fatal|unable/i.test(l));
  return (lines.at(-1) ?? text.trim().split('\n').at(-1) ?? '').slice(0, 600);
}

/**
 * Registers the namespace (idempotent) and the search attributes, then waits until the frontend
 * serves the namespace: a new namespace reaches the frontend's cache a few seconds after it is written.
 */
async function ensureNamespace(address: string, namespace: string, retentionDays: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
      });
    } catch (err) {
      if (!/already exists|already registered/i.test((err as Error).message)) throw err;
    }
    await ensureSearchAttributes(connection, namespace);
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await connection.workflowService.countWorkflowExecutions({ namespace, query: '' });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new EnvironmentError(`The namespace ${namespace} did not become usable: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection.close();
  }
}
