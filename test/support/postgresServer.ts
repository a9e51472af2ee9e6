import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { portIsFree } from '../../src/server/ports';
import { serverPorts } from '../../src/server/serverConfig';
import { exited } from './workerProcess';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');

export type ServerProcess = ChildProcess & { output: () => string };

/** A frontend port whose derived ports are free, below the ephemeral range and low enough for the
 * membership ports (a smallint in PostgreSQL); `avoid` keeps nodes on one machine apart. */
export async function serverPort(avoid: number[] = []): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (avoid.some((a) => Math.abs(a - port) < 20)) continue;
    if ((await Promise.all(Object.values(serverPorts(port)).map((p) => portIsFree(p)))).every(Boolean)) return port;
  }
}

/** `nightshift server --postgres URL --port PORT` from dist/, with its own NIGHTSHIFT_HOME. */
export function startPostgresServer(url: string, port: number, home: string): ServerProcess {
  const child = spawn(process.execPath, [CLI, 'server', '--postgres', url, '--port', String(port)], {
    env: { ...process.env, NIGHTSHIFT_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

/** Waits for the readiness line; returns the phase timings it reports. */
export async function untilReady(child: ServerProcess, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!child.output().includes('Temporal server ready at')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nightshift server --postgres exited (${child.exitCode ?? child.signalCode}):\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`nightshift server --postgres not ready after ${timeoutMs / 1000}s:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return /build [\d.]+s, schema [\d.]+s, start [\d.]+s, namespace [\d.]+s/.exec(child.output())?.[0] ?? '';
}

/** Ctrl-C, as a person stops it; resolves with the exit code. */
export async function interrupt(child: ServerProcess): Promise<number | null> {
  child.kill('SIGINT');
  await exited(child);
  return child.exitCode;
}

/** The pid of the temporal-server process a `nightshift server --postgres` with this home started. */
export function temporalServerPid(home: string): number | undefined {
  const marker = join(home, 'temporal-server');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').split('\0');
      if (argv.includes('start') && argv.includes(marker)) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}
