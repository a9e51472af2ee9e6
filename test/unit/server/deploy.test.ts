import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployFiles } from '../../../src/server/deployFiles';
import { describeTarget, parsePostgresUrl } from '../../../src/server/postgresSchema';
import { serverEnv, serverPorts } from '../../../src/server/serverConfig';
import { TEMPORAL_SERVER_VERSION } from '../../../src/server/temporalServerBinary';

const root = join(__dirname, '..', '..', '..');

describe('deploy/temporal is what nightshift server --postgres runs', () => {
  it.each(Object.keys(deployFiles()))('%s matches the generator (regenerate: npm run build && npm run deploy:config)', (file) => {
    expect(readFileSync(join(root, 'deploy', 'temporal', file), 'utf8')).toBe(deployFiles()[file]);
  });

  it('the config is a server template that reads every port, address and credential from the environment', () => {
    const config = deployFiles()['nightshift.yaml'] as string;
    expect(config.split('\n')[0]).toBe('# enable-template');
    const names = [...config.matchAll(/env "([A-Z_]+)"/g)].map((m) => m[1]);
    const env = serverEnv({
      postgres: parsePostgresUrl('postgres://u:p@h:1/d'),
      ip: '127.0.0.1',
      ports: serverPorts(7233),
      dynamicConfigFile: '/x.yaml',
    });
    // Everything the config reads, nightshift server sets (NUM_HISTORY_SHARDS keeps its default).
    expect(new Set(names.filter((n) => n !== 'NUM_HISTORY_SHARDS'))).toEqual(new Set(Object.keys(env)));
  });

  it('ports derive from --port in the layout of the defaults', () => {
    expect(serverPorts(7233)).toEqual({
      frontend: 7233, frontendHttp: 7243, history: 7234, matching: 7235, worker: 7239,
      frontendMembership: 6933, historyMembership: 6934, matchingMembership: 6935, workerMembership: 6939,
    });
  });
});

describe('--postgres URL', () => {
  it('names host, port, user, password and both databases', () => {
    expect(parsePostgresUrl('postgres://temporal:s%40cret@db.example:6543/nightly')).toEqual({
      host: 'db.example', port: 6543, user: 'temporal', password: 's@cret', database: 'nightly', visibilityDatabase: 'nightly_visibility',
    });
    expect(parsePostgresUrl('postgresql://t@localhost')).toMatchObject({ port: 5432, database: 'temporal', visibilityDatabase: 'temporal_visibility' });
  });

  it('never shows the password in messages', () => {
    expect(describeTarget(parsePostgresUrl('postgres://t:hunter2@h/temporal'))).toBe('postgres://t@h:5432/temporal');
  });

  it.each([
    ['not a url', /expected a URL/],
    ['mysql://t@h/x', /postgres:\/\//],
    ['postgres://h:5432/x', /no user/],
    ['postgres://t@h/x?sslmode=require', /not supported/],
  ])('refuses %j', (url, message) => {
    expect(() => parsePostgresUrl(url)).toThrow(message);
  });
});

const compose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
if (!compose && process.env.CI) throw new Error('docker-compose is not installed: .ci/run installs it (apt-get install -y docker-compose)');
const withCompose = compose ? describe : describe.skip;

withCompose('docker-compose.yml (validated by docker-compose config; no Docker engine needed)', () => {
  interface Volume { source?: string; target: string }
  interface Service { image?: string; entrypoint?: string[]; environment?: Record<string, string>; volumes?: (Volume | string)[]; build?: { target?: string } }
  let services: Record<string, Service>;
  // docker-compose 1.x renders volumes as SOURCE:TARGET[:MODE], 2.x as objects.
  const volumes = (s: Service | undefined): Volume[] =>
    (s?.volumes ?? []).map((v) => {
      if (typeof v !== 'string') return v;
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    });

  beforeAll(() => {
    const rendered = execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config'], { cwd: root, encoding: 'utf8', env: { ...process.env, NIGHTSHIFT_WORKER_TARGET: '' } });
    // docker-compose depends on PyYAML, so its python can turn the rendered file into JSON.
    const json = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: rendered, encoding: 'utf8' });
    services = (JSON.parse(json) as { services: Record<string, Service> }).services;
  });

  it('runs the server version Nightshift builds, with admin-tools for the schema, not the deprecated auto-setup', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    expect(services.temporal?.image).toBe(`temporalio/server:${version}`);
    for (const name of ['temporal-setup-schema', 'temporal-create-namespace']) expect(services[name]?.image).toMatch(new RegExp(`^temporalio/admin-tools:${version.replace(/\./g, '\\.')}(-|$)`));
    expect(JSON.stringify(services)).not.toContain('auto-setup');
  });

  it('mounts the generated config and scripts from deploy/temporal and starts the server with that config', () => {
    const deploy = join(root, 'deploy', 'temporal');
    const mount = (name: string) => volumes(services[name]).find((v) => v.source === deploy)?.target;
    expect(mount('temporal')).toBe('/etc/temporal/config');
    expect(services.temporal?.entrypoint?.join(' ')).toContain('temporal-server --env nightshift');
    expect(mount('temporal-setup-schema')).toBe('/deploy');
    expect(services['temporal-setup-schema']?.entrypoint).toEqual(['/bin/sh', '/deploy/setup-postgres.sh']);
    expect(services['temporal-create-namespace']?.entrypoint).toEqual(['/bin/sh', '/deploy/create-namespace.sh']);
    for (const file of Object.keys(deployFiles())) expect(existsSync(join(deploy, file))).toBe(true);
    // The environment the server gets names every variable the config reads, except what the
    // entrypoint computes (the container's address) and the defaults that fit a container.
    const set = new Set(Object.keys(services.temporal?.environment ?? {}));
    for (const name of ['POSTGRES_SEEDS', 'DB_PORT', 'POSTGRES_USER', 'POSTGRES_PWD', 'BIND_ON_IP']) expect(set).toContain(name);
  });

  it('has one worker per host, each with its own NIGHTSHIFT_HOST and home, built from the Dockerfile stage that runs as non-root', () => {
    const workers = Object.entries(services).filter(([, s]) => s.environment?.NIGHTSHIFT_HOST);
    expect(workers.length).toBeGreaterThanOrEqual(2);
    const hosts = workers.map(([, s]) => s.environment?.NIGHTSHIFT_HOST);
    expect(new Set(hosts).size).toBe(hosts.length);
    const homes = workers.map(([, s]) => volumes(s).find((v) => v.target === '/var/lib/nightshift')?.source);
    expect(new Set(homes).size).toBe(workers.length);
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const target = workers[0]?.[1].build?.target ?? 'worker';
    const stage = dockerfile.split(/^FROM /m).find((s) => new RegExp(`AS ${target}\\n`).test(s));
    expect(stage).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^FROM worker AS agents$/m);
  });
});
