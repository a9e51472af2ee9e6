import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EnvironmentError } from '../model/errors';
import { cacheDir, onPath } from './temporalCli';

/** The server version the Temporal CLI v1.5.1 embeds, so the Go module cache is mostly warm. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';

export interface TemporalServerBinaries {
  /** `temporal-server` (go.temporal.io/server/cmd/server) */
  server: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql) */
  sqlTool: string;
  /** The server module's source: schema directories and reference configs. */
  moduleDir: string;
}

export function serverBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'temporal-server', TEMPORAL_SERVER_VERSION);
}

function findGo(env: NodeJS.ProcessEnv): string {
  const go = onPath('go', env) ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go || spawnSync(go, ['version']).status !== 0) {
    throw new EnvironmentError(
      'Go is not installed: `nightshift server --postgres` builds the Temporal server and its sql tool once with Go',
      'Install Go 1.24 or newer (https://go.dev/doc/install), or run Temporal yourself with docker-compose.yml and point workers at it.',
    );
  }
  return go;
}

const ModuleInfo = z.object({ Dir: z.string().min(1) });

/** Where the server module's source is (downloaded into the Go module cache if it is not there). */
function moduleDir(go: string, env: NodeJS.ProcessEnv): string {
  const pkg = `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`;
  const out = spawnSync(go, ['mod', 'download', '-json', pkg], { env, encoding: 'utf8', cwd: cacheDir(env) });
  const parsed = out.status === 0 ? ModuleInfo.safeParse(JSON.parse(out.stdout || '{}')) : undefined;
  if (!parsed?.success || !existsSync(join(parsed.data.Dir, 'schema'))) {
    throw new EnvironmentError(`go mod download ${pkg} failed: ${(out.stderr || out.stdout || '').trim().slice(0, 400)}`, 'Check that the Go module proxy is reachable (GOPROXY).');
  }
  return parsed.data.Dir;
}

/**
 * The Temporal server and its sql tool, built once with `go install` into Nightshift's cache (like the
 * Temporal CLI). Measured on 2 cores: a few minutes the first time even with the CLI's module cache
 * warm (the sql tool and PostgreSQL driver are not in the CLI); instant afterwards.
 */
export async function ensureTemporalServer(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<TemporalServerBinaries> {
  const bin = serverBinDir(env);
  const server = join(bin, 'server');
  const sqlTool = join(bin, 'sql');
  mkdirSync(bin, { recursive: true });
  const go = findGo(env);
  // One build at a time per cache (two servers, or two test files, starting together).
  const release = existsSync(server) && existsSync(sqlTool) ? () => undefined : await lock(join(bin, '.building'), log);
  try {
    if (!existsSync(server) || !existsSync(sqlTool)) await build(go, bin, env, log);
  } finally {
    release();
  }
  return { server, sqlTool, moduleDir: moduleDir(go, env) };
}

async function build(go: string, bin: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const pkgs = [`${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`];
  log(`Building the Temporal server and sql tool once: go install ${pkgs.join(' ')}`);
  log(`  into ${bin} (a few minutes the first time; later runs reuse it)`);
  const started = Date.now();
  const ticker = setInterval(() => log(`  still building... ${Math.round((Date.now() - started) / 1000)}s`), 30_000);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(go, ['install', ...pkgs], {
        env: { ...env, GOBIN: bin, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0 || !existsSync(join(bin, 'server')) || !existsSync(join(bin, 'sql'))) {
      throw new EnvironmentError(`go install of the Temporal server failed (exit ${code})`, 'See the Go output above.');
    }
  } finally {
    clearInterval(ticker);
  }
  log(`Built the Temporal server and sql tool in ${Math.round((Date.now() - started) / 1000)}s`);
}

/** A directory as a lock; one left by a build that died is taken over after 30 minutes. */
async function lock(dir: string, log: (line: string) => void): Promise<() => void> {
  let said = false;
  for (;;) {
    try {
      mkdirSync(dir);
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() - statSync(dir).mtimeMs > 30 * 60_000) rmSync(dir, { recursive: true, force: true });
      else if (!said) {
        log(`Waiting for another build of the Temporal server (${dir})`);
        said = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
