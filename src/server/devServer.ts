import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { EnvironmentError } from '../model/errors';
import { portIsFree } from './ports';
import { searchAttributeFlags } from './searchAttributes';
import { SERVER_DYNAMIC_CONFIG } from './serverConfig';
import { ensureTemporalCli } from './temporalCli';

export interface DevServerOptions {
  port: number;
  uiPort: number;
  ip: string;
  dbFile: string;
  namespace?: string;
  /** Where the server's own log goes: inherited (foreground), or ignored (tests, demo). */
  stdio?: 'inherit' | 'ignore';
  log?: (line: string) => void;
  headless?: boolean;
  /** `--dynamic-config-value KEY=VALUE` pairs (tests use them to make continue-as-new come early). */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `temporal server start-dev` with a SQLite file, the Web UI and Nightshift's search attributes. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { port, uiPort, ip, dbFile } = options;
  if (!(await portIsFree(port, ip))) {
    throw new EnvironmentError(
      `Something is already listening on ${ip}:${port}`,
      `If it is a Temporal server, use it (TEMPORAL_ADDRESS=${ip}:${port}); otherwise pick another --port.`,
    );
  }
  if (!options.headless && !(await portIsFree(uiPort, ip))) {
    throw new EnvironmentError(`Something is already listening on ${ip}:${uiPort} (Web UI port)`, 'Pick another --ui-port.');
  }
  const cli = await ensureTemporalCli(options.log);
  mkdirSync(dirname(dbFile), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', ip,
    '--port', String(port),
    '--db-filename', dbFile,
    '--namespace', options.namespace ?? 'default',
    '--log-level', 'error',
    ...(options.headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...searchAttributeFlags(),
    ...Object.entries({ ...SERVER_DYNAMIC_CONFIG, ...options.dynamicConfig }).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
  ];
  const child = spawn(cli, args, { stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'] });
  const address = `${ip}:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitUntilHealthy(address, exited);
  return {
    address,
    uiUrl: `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True when a Temporal frontend answers at this address. */
export async function serverIsHealthy(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

async function waitUntilHealthy(address: string, exited: Promise<number | null>, timeoutMs = 60_000): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new EnvironmentError(`temporal server start-dev exited with code ${gone} before it was ready`);
    if (await serverIsHealthy(address)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new EnvironmentError(`The Temporal dev server at ${address} did not become healthy within ${timeoutMs / 1000}s`);
}
