import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { EnvironmentError, InvalidInputError } from '../model/errors';
import type { PostgresTarget } from './serverConfig';

const PostgresUrl = z
  .string()
  .transform((s, ctx) => {
    try {
      return new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a URL like postgres://USER:PASSWORD@HOST:5432/temporal' });
      return z.NEVER;
    }
  })
  .refine((u) => u.protocol === 'postgres:' || u.protocol === 'postgresql:', 'expected a postgres:// URL')
  .refine((u) => u.hostname !== '', 'the URL names no host')
  .refine((u) => u.username !== '', 'the URL names no user (postgres://USER:PASSWORD@HOST/temporal)')
  .refine((u) => u.search === '', 'URL parameters (?sslmode=...) are not supported; TLS to PostgreSQL is not configured by nightshift server')
  .transform((u): PostgresTarget => {
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'temporal';
    return {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : 5432,
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database,
      visibilityDatabase: `${database}_visibility`,
    };
  });

/** `--postgres URL` → where the two databases are (`DB` and `DB_visibility`, default `temporal`). */
export function parsePostgresUrl(url: string): PostgresTarget {
  const parsed = PostgresUrl.safeParse(url);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues[0]?.message ?? 'invalid URL', '--postgres', 'Example: --postgres postgres://temporal:temporal@127.0.0.1:5432/temporal');
  }
  return parsed.data;
}

/** The URL without its password, for messages. */
export function describeTarget(pg: PostgresTarget): string {
  return `postgres://${pg.user}@${pg.host}:${pg.port}/${pg.database}`;
}

export type SchemaKind = 'temporal' | 'visibility';

/**
 * `temporal-sql-tool` commands that create or upgrade one database, in order. Each is idempotent:
 * create ignores an existing database, setup-schema -v 0.0 only creates the version tables, and
 * update-schema applies the versioned directories above the recorded version. docker-compose's
 * setup script is generated from the same list.
 */
export function schemaSteps(kind: SchemaKind, schemaRoot: string): string[][] {
  return [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '-d', join(schemaRoot, 'postgresql', 'v12', kind, 'versioned')]];
}

/** Creates or upgrades both databases with the sql tool; returns how long it took. */
export async function setupSchema(
  sqlTool: string,
  moduleDir: string,
  pg: PostgresTarget,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const started = Date.now();
  const schemaRoot = join(moduleDir, 'schema');
  for (const [kind, database] of [['temporal', pg.database], ['visibility', pg.visibilityDatabase]] as const) {
    for (const step of schemaSteps(kind, schemaRoot)) {
      // The password goes by environment, never argv (visible in ps).
      await runSqlTool(sqlTool, step, {
        ...env,
        SQL_PLUGIN: 'postgres12',
        SQL_HOST: pg.host,
        SQL_PORT: String(pg.port),
        SQL_USER: pg.user,
        SQL_PASSWORD: pg.password,
        SQL_DATABASE: database,
      }, `${step[0]} of ${database} on ${describeTarget(pg)}`);
    }
  }
  return Date.now() - started;
}

function runSqlTool(sqlTool: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(sqlTool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      // The tool logs some failures (create-database that cannot connect) and still exits 0.
      const error = firstError(output);
      if (code === 0 && !error) return resolve();
      reject(
        new EnvironmentError(
          `temporal-sql-tool failed: ${what} (exit ${code}): ${error ?? output.trim().split('\n').slice(-2).join(' | ').slice(0, 600)}`,
          /password authentication failed/.test(output)
            ? 'Check the user and password in the --postgres URL.'
            : 'Check that PostgreSQL is running at that address and that the user may create databases (CREATEDB).',
        ),
      );
    });
  });
}

/** The first ERROR line of the tool's log, without colours: `message {"error": "..."}`. */
function firstError(output: string): string | undefined {
  const line = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => /\tERROR\t/.test(l));
  if (!line) return undefined;
  const [, message = line, detail = ''] = line.split('\t').slice(1);
  const cause = /"error": "((?:[^"\\]|\\.)*)"/.exec(detail)?.[1];
  return (cause ? `${message}: ${cause.replace(/\\"/g, '"')}` : message).slice(0, 600);
}
