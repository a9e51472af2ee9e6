import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/server/ports';

/** The newest PostgreSQL server binaries Debian's `postgresql` package installed, if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export interface TestPostgres {
  url: string;
  port: number;
  dir: string;
  /** Runs one SQL statement with psql; rows as arrays of fields. */
  query(database: string, sql: string): string[][];
  stop(): void;
}

/**
 * A PostgreSQL of the test's own: data directory in a temp dir, a free port on 127.0.0.1, socket in
 * the temp dir. PostgreSQL refuses to run as root, so under root it runs as the `postgres` user.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). ' +
        'Install it: apt-get update && apt-get install -y postgresql (.ci/run does this when it is missing).',
    );
  }
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? uidOf('postgres') : undefined;
  if (asRoot && !owner) throw new Error('running as root and there is no `postgres` user to run PostgreSQL as (PostgreSQL refuses root)');
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(data);
  mkdirSync(sock);
  const password = `pw${process.pid}${Date.now() % 100000}`;
  writeFileSync(join(dir, 'pwfile'), `${password}\n`);
  if (owner) for (const p of [data, sock, join(dir, 'pwfile'), dir]) chownSync(p, owner.uid, owner.gid);
  const run = (program: string, args: string[]) => {
    const argv = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, program), ...args] : [join(bin, program), ...args];
    return execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  run('initdb', ['-D', data, '-U', 'temporal', `--pwfile=${join(dir, 'pwfile')}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-instructions']);
  const port = await freePort();
  try {
    run('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1`, 'start']);
  } catch (err) {
    const log = existsSync(join(dir, 'postgres.log')) ? readFileSync(join(dir, 'postgres.log'), 'utf8').slice(-1000) : '';
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
  }
  return {
    url: `postgres://temporal:${password}@127.0.0.1:${port}/temporal`,
    port,
    dir,
    query(database, sql) {
      const out = execFileSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'temporal', '-d', database, '-At', '-F', '\t', '-c', sql], {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: password },
      });
      return out.trim() === '' ? [] : out.trim().split('\n').map((l) => l.split('\t'));
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}
