import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { EnvironmentError } from '../model/errors';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Where the one-time build of the Temporal CLI goes: `NIGHTSHIFT_CACHE_DIR` or `~/.cache/nightshift`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NIGHTSHIFT_CACHE_DIR) return env.NIGHTSHIFT_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'nightshift');
}

export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

export function onPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export type CliSource = 'TEMPORAL_CLI' | 'PATH' | 'cache';

/** The binary to use, without building anything: `TEMPORAL_CLI`, then `temporal` on PATH, then the cache. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): { path: string; source: CliSource } | undefined {
  if (env.TEMPORAL_CLI) {
    if (!existsSync(env.TEMPORAL_CLI)) {
      throw new EnvironmentError(
        `TEMPORAL_CLI is set to ${env.TEMPORAL_CLI}, which does not exist`,
        'Point TEMPORAL_CLI at a temporal binary, or unset it to let Nightshift find or build one.',
      );
    }
    return { path: env.TEMPORAL_CLI, source: 'TEMPORAL_CLI' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const cached = cachedCliPath(env);
  if (existsSync(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/**
 * Finds the Temporal CLI or builds it once with `go install` from the Go module proxy into the cache.
 * The build takes a few minutes the first time (measured: about 2.5 minutes on 2 cores with an empty
 * module cache), so it says what it is doing and how long it took.
 */
export async function ensureTemporalCli(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const found = findTemporalCli(env);
  if (found) return found.path;

  const go = onPath('go', env) ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go || spawnSync(go, ['version']).status !== 0) {
    throw new EnvironmentError(
      'No Temporal CLI found (TEMPORAL_CLI, `temporal` on PATH, or the cache) and Go is not installed to build one',
      'Install the Temporal CLI (https://docs.temporal.io/cli#install) and put `temporal` on PATH, ' +
        'or set TEMPORAL_CLI=/path/to/temporal, or install Go so Nightshift can build it once.',
    );
  }
  const target = cachedCliPath(env);
  const bin = join(target, '..');
  mkdirSync(bin, { recursive: true });
  const pkg = `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`;
  log(`Building the Temporal CLI once: go install ${pkg}`);
  log(`  into ${bin} (a few minutes the first time; later runs reuse it)`);
  const started = Date.now();
  const ticker = setInterval(() => log(`  still building... ${Math.round((Date.now() - started) / 1000)}s`), 30_000);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(go, ['install', pkg], {
        env: { ...env, GOBIN: bin, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0 || !existsSync(target)) {
      throw new EnvironmentError(
        `go install ${pkg} failed (exit ${code})`,
        'See the Go output above; or install the Temporal CLI yourself and set TEMPORAL_CLI.',
      );
    }
  } finally {
    clearInterval(ticker);
  }
  log(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)}s: ${target}`);
  return target;
}
