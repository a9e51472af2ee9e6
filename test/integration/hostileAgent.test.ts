/**
 * A hostile agent (test/fixtures/agents/hostile.js, a real process) under `--sandbox bwrap`, run by a
 * real `nightshift worker` process whose HOME holds planted secrets. For each misbehaviour: nothing
 * outside the worktree changes, no secret reaches the transcript or Temporal, the worker survives,
 * no process of the session outlives it, and the build goes on or asks the person with a reason.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { TRANSCRIPT_MAX_BYTES } from '../../src/activities/session/session';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import type { BuildRequestInput } from '../../src/model/request';
import { statusQuery } from '../../src/workflows/build/messages';
import { gitIn, makeRepo, samplePlan, tempDir } from '../support/repo';
import { PLANTED, PLANTED_PRIVATE_KEY } from '../support/secrets';
import { eventually, TestEnv } from '../support/temporal';
import { temporal } from '../support/temporalCommand';
import { exited } from '../support/workerProcess';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');
const HOSTILE = join(__dirname, '..', 'fixtures', 'agents', 'hostile.js');
/** The body of the planted ~/.ssh/id_ed25519: it must never appear anywhere the worker writes. */
const SSH_KEY_BODY = 'c3NoLWVkMjU1MTktcGxhbnRlZC1ieS10aGUtaG9zdGlsZS1zdWl0ZQ';
/** How much the flooding agent prints: issue 10 says 1 GB (NIGHTSHIFT_HOSTILE_FLOOD_MB=1024); 200 MB proves the cap. */
const FLOOD_MB = Number(process.env.NIGHTSHIFT_HOSTILE_FLOOD_MB ?? 200);

let env: TestEnv;
let worker: ChildProcess & { output: () => string };
let fakeHome: string;
let nsHome: string;
let taskQueue: string;
let webhook: Server;
const webhookBodies: string[] = [];
let homeBefore: string;
let counter = 0;
/** Every hostile build, for the final sweep of Temporal and NIGHTSHIFT_HOME. */
const started: Hostile[] = [];

/** Every path and content under a directory, as one comparable text. */
function manifest(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out.push(`${p} ${s.size} ${s.mode} ${readFileSync(p).toString('base64')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

/** Every file the worker wrote under NIGHTSHIFT_HOME, as text. */
function homeFiles(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (s.size < 200 * 1024 * 1024) out.push({ path: p, text: readFileSync(p).toString('latin1') });
    }
  };
  walk(nsHome);
  return out;
}

/** Host processes whose command line carries `marker`. */
function survivors(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const state = /\) (\w)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
      if (cmd.includes(marker) && state !== 'Z' && !cmd.includes('jest')) found.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** The full history, as the `temporal` CLI exports it, with every payload decoded. */
async function historyExport(workflowId: string): Promise<string> {
  const r = await temporal(['workflow', 'show', '--workflow-id', workflowId, '--output', 'json']);
  expect(r.code).toBe(0);
  const decoded: string[] = [r.stdout];
  for (const m of r.stdout.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)) decoded.push(Buffer.from(m[1] as string, 'base64').toString('utf8'));
  return decoded.join('\n');
}

function nightshift(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NIGHTSHIFT_TASK_QUEUE: taskQueue, NIGHTSHIFT_HOME: nsHome }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface Hostile {
  label: string;
  marker: string;
  repo: string;
  handle: WorkflowHandle;
  transcript: () => string;
}

async function hostileBuild(behaviour: string, arg = '-', policy: BuildRequestInput['policy'] = {}): Promise<Hostile> {
  const marker = `hostile${process.pid}x${++counter}x${Date.now() % 100000}`;
  const label = `${behaviour}-${marker}`;
  const repo = makeRepo();
  const request = parseBuildRequest({
    label,
    repo,
    plan: samplePlan(1, [`test -f work/${behaviour}.txt`]),
    agent: { kind: 'command', command: `${process.execPath} ${HOSTILE} ${behaviour} ${marker} ${arg}`, sandbox: 'bwrap' },
    policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '2m', ...policy },
  });
  const handle = await startBuild(env.client, request, { taskQueue });
  const transcript = () => readFileSync(join(nsHome, 'builds', label, 'sessions', 'session-001.log'), 'latin1');
  const build = { label, marker, repo, handle, transcript };
  started.push(build);
  return build;
}

async function completes(b: Hostile): Promise<void> {
  const result = await b.handle.result();
  expect(result.status).toBe('completed');
  expect(gitIn(b.repo, 'log', '-1', '--format=%s', `nightshift/${b.label}`)).toBe('checkpoint-1: Step 1');
}

async function noSurvivors(marker: string): Promise<void> {
  await eventually(() => (survivors(marker).length === 0 ? true : undefined), 15_000, `no process of ${marker} alive (${survivors(marker).slice(0, 3).join('; ')})`);
}

beforeAll(async () => {
  env = await TestEnv.connect();
  taskQueue = env.taskQueue();
  nsHome = tempDir('hostile-nshome');
  fakeHome = tempDir('hostile-home');
  mkdirSync(join(fakeHome, '.ssh'), { mode: 0o700 });
  writeFileSync(join(fakeHome, '.ssh', 'id_ed25519'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${SSH_KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 });
  mkdirSync(join(fakeHome, '.aws'));
  writeFileSync(join(fakeHome, '.aws', 'credentials'), `[default]\naws_access_key_id = ${PLANTED.awsAccessKey}\n`);
  writeFileSync(join(fakeHome, '.netrc'), 'machine example.test login me password planted-netrc\n');
  writeFileSync(join(fakeHome, '.bashrc'), '# the person\'s shell\n');
  homeBefore = manifest(fakeHome);
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      webhookBodies.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
  const port = (webhook.address() as { port: number }).port;
  worker = Object.assign(
    spawn(process.execPath, [CLI, 'worker', '--sandbox', 'bwrap'], {
      env: {
        ...process.env,
        HOME: fakeHome,
        NIGHTSHIFT_HOME: nsHome,
        NIGHTSHIFT_TASK_QUEUE: taskQueue,
        NIGHTSHIFT_WORKFLOW_BUNDLE: process.env.NIGHTSHIFT_TEST_BUNDLE ?? '',
        NIGHTSHIFT_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
        // The test run shares its temp dir with agents (globalSetup); this worker shares nothing.
        NIGHTSHIFT_SANDBOX_WRITABLE: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    { output: () => out },
  );
  let out = '';
  worker.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  worker.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(() => (out.includes('agent sandbox: bwrap') ? true : undefined), 60_000, `the worker to start: ${out}`);
});

afterAll(async () => {
  // Whatever each agent did, the planted key is in no build's history and no file the worker wrote,
  // and no process any of them started is alive.
  for (const b of started) expect(`${b.label}: ${(await historyExport(b.handle.workflowId)).includes(SSH_KEY_BODY)}`).toBe(`${b.label}: false`);
  for (const f of homeFiles()) expect(`${f.path}: ${f.text.includes(SSH_KEY_BODY)}`).toBe(`${f.path}: false`);
  for (const b of started) expect(survivors(b.marker)).toEqual([]);
  expect(worker.exitCode).toBeNull();
  worker.kill('SIGTERM');
  await exited(worker);
  webhook.close();
  await env.close();
});

afterEach(() => {
  // Whatever each agent tried, the worker is still there and the person's HOME is as it was.
  expect(worker.exitCode).toBeNull();
  expect(manifest(fakeHome)).toBe(homeBefore);
});

describe('a hostile agent in the bwrap sandbox', () => {
  it('writes outside its worktree: the checkout, other builds, HOME, /etc, git hooks and config stay as they were', async () => {
    const victim = makeRepo();
    const otherBuild = join(nsHome, 'builds', 'someone-else');
    mkdirSync(otherBuild, { recursive: true });
    writeFileSync(join(otherBuild, 'notes.txt'), 'untouched\n');
    const outsideTmp = join(tempDir('outside'), 'planted.txt');
    const targets = [join(victim, 'README.md'), join(otherBuild, 'notes.txt'), join(nsHome, 'notifications.log'), outsideTmp];
    const b = await hostileBuild('write-outside', targets.join(','));
    const checkoutBefore = readFileSync(join(b.repo, 'README.md'), 'utf8');
    await completes(b);
    expect(readFileSync(join(victim, 'README.md'), 'utf8')).toBe('# target repo\n');
    expect(readFileSync(join(otherBuild, 'notes.txt'), 'utf8')).toBe('untouched\n');
    expect(readFileSync(join(nsHome, 'notifications.log'), 'utf8')).not.toContain('pwned');
    expect(existsSync(outsideTmp)).toBe(false);
    expect(existsSync(`/etc/hostile-${b.marker}`)).toBe(false);
    expect(readFileSync(join(b.repo, 'README.md'), 'utf8')).toBe(checkoutBefore);
    expect(existsSync(join(b.repo, '.git', 'hooks', 'post-commit'))).toBe(false);
    expect(() => gitIn(b.repo, 'config', 'core.hooksPath')).toThrow();
    const t = b.transcript();
    expect(t).toContain('write ~/.bashrc: refused');
    expect(t).toContain('write a git hook: refused');
    // What it could write inside went to a throw-away tmpfs (the hidden NIGHTSHIFT_HOME): checked above on the host.
    expect(t).toContain(`write ${targets[0]}: refused (EROFS)`);
    expect(t).toContain(`write ${targets[1]}: refused (ENOENT)`);
    await noSurvivors(b.marker);
  });

  it("reads the planted ~/.ssh/id_ed25519 and the worker's files: it sees none, and the key is nowhere", async () => {
    const b = await hostileBuild('read-secret');
    await completes(b);
    expect(b.transcript()).toContain('read ~/.ssh/id_ed25519: refused (ENOENT)');
    expect(b.transcript()).toContain('read notifications.log: refused (ENOENT)');
    for (const f of homeFiles()) expect(`${f.path}: ${f.text.includes(SSH_KEY_BODY)}`).toBe(`${f.path}: false`);
    expect(await historyExport(b.handle.workflowId)).not.toContain(SSH_KEY_BODY);
    await noSurvivors(b.marker);
  });

  it("kill -9 its parent, the worker's pid and everything it can see: only its own pid namespace is in reach", async () => {
    const b = await hostileBuild('kill', String(worker.pid));
    await completes(b);
    const t = b.transcript();
    expect(t).toContain(`kill -9 worker ${worker.pid}: refused (ESRCH)`);
    // Its parent is the namespace's init: the kernel drops a SIGKILL to it from inside.
    expect(t).toContain('kill -9 parent 1:');
    await noSurvivors(b.marker);
  });

  it('forks thousands of sleepers: the pids limit stops it, the build goes on, none outlives the session', async () => {
    const b = await hostileBuild('fork', '2500');
    await completes(b);
    const line = /forked (\d+) sleepers, (\d+) refused/.exec(b.transcript());
    expect(line).not.toBeNull();
    expect(Number(line?.[1])).toBeGreaterThan(500);
    await noSurvivors(b.marker);
  });

  it(`prints ${FLOOD_MB} MB: the transcript stops at its cap, the worker survives and the build goes on`, async () => {
    const b = await hostileBuild('flood', String(FLOOD_MB));
    await completes(b);
    const size = statSync(join(nsHome, 'builds', b.label, 'sessions', 'session-001.log')).size;
    expect(size).toBeLessThan(TRANSCRIPT_MAX_BYTES + 1024 * 1024);
    expect(b.transcript()).toContain(`transcript cut at ${TRANSCRIPT_MAX_BYTES} bytes`);
    await noSurvivors(b.marker);
  });

  it('prints binary and invalid UTF-8: the build goes on and status still answers', async () => {
    const b = await hostileBuild('binary');
    await completes(b);
    const view = await b.handle.query(statusQuery);
    expect(view.status).toBe('completed');
    expect(view.devNotes.map((n) => n.content).join('\n')).toContain('after binary');
    await noSurvivors(b.marker);
  });

  it('ignores SIGTERM and hangs: killed when its session runs out of time, and the person is asked why', async () => {
    const b = await hostileBuild('ignore-term', '-', { maxSessionTime: '4s' });
    const view = await eventually(async () => {
      const v = await b.handle.query(statusQuery);
      return v.waiting ? v : undefined;
    }, 60_000, 'the build to wait for the person');
    expect(view.waiting?.message).toContain('--max-session-time');
    await noSurvivors(b.marker);
    await b.handle.terminate('test done');
  });

  it('leaves a daemon behind (setsid nohup sleep): it dies with the session', async () => {
    const b = await hostileBuild('daemon');
    await completes(b);
    expect(b.transcript()).toContain('left a daemon behind');
    await noSurvivors(b.marker);
  });
});

describe('no secret in Temporal', () => {
  it('secrets the agent prints (stdout, stderr, DevNotes, last line, failure) are in no history, status, report, notification, webhook or file', async () => {
    const secretsFile = join(tempDir('planted'), 'secrets.json');
    writeFileSync(secretsFile, JSON.stringify({ tokens: PLANTED, privateKey: PLANTED_PRIVATE_KEY }));
    const b = await hostileBuild('secrets', secretsFile);
    const view = await eventually(async () => {
      const v = await b.handle.query(statusQuery);
      return v.waiting ? v : undefined;
    }, 60_000, 'the failed build to wait for the person');
    expect(view.waiting?.message).toContain('[REDACTED]');
    const status = await nightshift(['status', b.label, '--json']);
    const report = await nightshift(['report', '--json']);
    await eventually(() => (webhookBodies.some((w) => w.includes(b.label) && w.includes('escalated')) ? true : undefined), 30_000, 'the escalation webhook');
    const sinks: [string, string][] = [
      ['history export', await historyExport(b.handle.workflowId)],
      ['status query', JSON.stringify(view)],
      ['nightshift status', status.stdout + status.stderr],
      ['nightshift report', report.stdout + report.stderr],
      ['webhooks', webhookBodies.join('\n')],
      ...homeFiles().map((f): [string, string] => [f.path, f.text]),
    ];
    expect(b.transcript()).toContain('[REDACTED]');
    const keyLines = PLANTED_PRIVATE_KEY.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const [where, text] of sinks) {
      for (const [name, secret] of [...Object.entries(PLANTED), ...keyLines.map((l, i): [string, string] => [`private key line ${i}`, l])]) {
        expect(`${where} holds ${name}: ${text.includes(secret)}`).toBe(`${where} holds ${name}: false`);
      }
    }
    await noSurvivors(b.marker);
    await b.handle.terminate('test done');
  });
});

describe('a worker without bubblewrap', () => {
  it('--sandbox bwrap asks the person at once, naming the package; --sandbox auto runs unsandboxed and says so in status and the transcript', async () => {
    const queue = env.taskQueue();
    const home = tempDir('nobwrap-home');
    let out = '';
    const bare = spawn(process.execPath, [CLI, 'worker', '--sandbox', 'auto'], {
      env: { ...process.env, NIGHTSHIFT_HOME: home, NIGHTSHIFT_TASK_QUEUE: queue, NIGHTSHIFT_WORKFLOW_BUNDLE: process.env.NIGHTSHIFT_TEST_BUNDLE ?? '', NIGHTSHIFT_BWRAP: '/nonexistent/bwrap' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bare.stdout.on('data', (d: Buffer) => (out += d.toString()));
    bare.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await eventually(() => (out.includes('agent sandbox: auto by default, but bubblewrap (bwrap) is not installed') ? true : undefined), 60_000, `the worker to start: ${out}`);
      const start = async (name: string, sandbox: 'bwrap' | 'auto') => {
        const label = `${name}-${process.pid}-${++counter}`;
        const request = parseBuildRequest({
          label,
          repo: makeRepo(),
          plan: samplePlan(1, [`test -f work/${name}.txt`]),
          agent: { kind: 'command', command: `${process.execPath} ${HOSTILE} ${name} m${counter}`, sandbox },
          policy: { maxAttempts: 3, retryInterval: '1s' },
        });
        return { label, handle: await startBuild(env.client, request, { taskQueue: queue }) };
      };
      const strict = await start('binary', 'bwrap');
      const view = await eventually(async () => {
        const v = await strict.handle.query(statusQuery);
        return v.waiting ? v : undefined;
      }, 60_000, 'the bwrap build to wait for the person');
      expect(view.waiting?.reason).toBe('permission-blocked');
      expect(view.waiting?.message).toContain('apt-get install bubblewrap');
      // Asked at once: one session, no attempt spent on retrying what cannot work here.
      expect(view.sessions).toBe(1);
      expect(view.attempts.filter((a) => a.outcome === 'failed')).toHaveLength(0);
      await strict.handle.terminate('test done');

      const lenient = await start('binary', 'auto');
      expect((await lenient.handle.result()).status).toBe('completed');
      const done = await lenient.handle.query(statusQuery);
      expect(done.devNotes.map((n) => n.content).join('\n')).toContain('sandbox: not sandboxed (--sandbox auto): bubblewrap (bwrap) is not installed');
      expect(readFileSync(join(home, 'builds', lenient.label, 'sessions', 'session-001.log'), 'utf8')).toContain('# sandbox: none (WARNING: not sandboxed');
    } finally {
      bare.kill('SIGTERM');
      await exited(bare);
    }
  });
});
