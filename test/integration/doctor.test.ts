import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAgentCli } from '../../src/agents/install';
import type { CheckResult } from '../../src/client/doctor/report';
import { cacheDir } from '../../src/server/temporalCli';
import { makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv } from '../support/temporal';
import { nightshift } from '../support/cli';


let env: TestEnv;
let claude: string;
beforeAll(async () => {
  env = await TestEnv.connect();
  // The pinned CLI from Nightshift's cache (installed once per machine; a no-op afterwards).
  claude = await ensureAgentCli('claude');
}, 600_000);
afterAll(async () => {
  await env.close();
});


/** A HOME with nothing in it, and the machine's CLI cache still found. */
function fakeHome(): Record<string, string> {
  const home = tempDir('fake-home');
  const vars: Record<string, string> = { HOME: home, NIGHTSHIFT_CACHE_DIR: cacheDir() };
  // Credentials of the machine running the tests must not leak into the fake home's answer.
  const keys = ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CONFIG_DIR', 'NIGHTSHIFT_AGENT_ENV_FILE', 'CODEX_API_KEY'];
  const providers = ['OPENAI_API_KEY', 'AZURE_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'OPENROUTER_API_KEY', 'GROQ_API_KEY', 'MISTRAL_API_KEY', 'DEEPSEEK_API_KEY', 'XAI_API_KEY'];
  for (const k of [...keys, ...providers, ...providers.map((p) => `AIDER_${p}`), 'AIDER_ANTHROPIC_API_KEY']) vars[k] = '';
  return vars;
}

const byCheck = (rows: CheckResult[]) => Object.fromEntries(rows.map((r) => [r.check, r]));

describe('nightshift doctor --json on the test server', () => {
  it('without a worker: the worker check fails with its fix; missing claude credentials are named; exit 1', async () => {
    const queue = env.taskQueue();
    const home = fakeHome();
    const r = await nightshift(['doctor', '--json', '--agent', 'claude', '--agent-bin', claude], { ...home, NIGHTSHIFT_TASK_QUEUE: queue });
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as CheckResult[];
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(['check', 'detail', 'fix', 'ok']);
    const c = byCheck(rows);
    expect(c.node?.ok).toBe(true);
    expect(c.git?.ok).toBe(true);
    expect(c.temporal).toMatchObject({ ok: true, detail: `${process.env.TEMPORAL_ADDRESS} namespace default` });
    expect(c.workers).toMatchObject({ ok: false, fix: 'nightshift worker' });
    expect(c.workers?.detail).toContain(`no worker polls task queue "${queue}"`);
    expect(c.claude).toMatchObject({ ok: true });
    expect(c['claude version']).toMatchObject({ ok: true, detail: expect.stringMatching(/^2\.1\.\d+ \(tested 2\.1\.197/) });
    expect(c['claude credentials']).toMatchObject({ ok: false, detail: `no ANTHROPIC_API_KEY and no login in ${join(home.HOME as string, '.claude')}` });
    expect(c['claude credentials']?.fix).toMatch(/^claude \/login/);
    expect(rows.map((x) => x.check)).not.toContain('codex');
  });

  it('with a worker polling and a login file in HOME: every check is ready, the worker named; exit 0', async () => {
    const queue = env.taskQueue();
    const home = fakeHome();
    mkdirSync(join(home.HOME as string, '.claude'));
    writeFileSync(join(home.HOME as string, '.claude', '.credentials.json'), JSON.stringify({ claudeAiOauth: { accessToken: 'not-a-real-token' } }));
    const { worker } = await env.worker({ taskQueue: queue });
    const r = await worker.runUntil(async () => {
      // The worker's first polls reach the server shortly after it starts running.
      for (let i = 0; ; i++) {
        const answer = await nightshift(['doctor', '--json', '--agent', 'claude', '--agent-bin', claude], { ...home, NIGHTSHIFT_TASK_QUEUE: queue });
        if (answer.code === 0 || i >= 50) return answer;
        await new Promise((done) => setTimeout(done, 200));
      }
    });
    const c = byCheck(JSON.parse(r.stdout) as CheckResult[]);
    expect(c.workers).toMatchObject({ ok: true, fix: null });
    expect(c.workers?.detail).toContain(worker.options.identity);
    expect(c['claude credentials']).toMatchObject({ ok: true, detail: `logged in (${join(home.HOME as string, '.claude', '.credentials.json')})` });
    expect(r.code).toBe(0);
  });

  it('an API key in the worker\'s agent env file counts; the human table names each miss with its fix', async () => {
    const home = fakeHome();
    const envFile = join(tempDir('envfile'), 'agents.env');
    writeFileSync(envFile, 'ANTHROPIC_API_KEY=sk-ant-from-the-env-file\n');
    const json = await nightshift(['doctor', '--json', '--agent', 'claude', '--agent-bin', claude, '--agent-env-file', envFile], { ...home, NIGHTSHIFT_TASK_QUEUE: env.taskQueue() });
    const c = byCheck(JSON.parse(json.stdout) as CheckResult[]);
    expect(c['claude credentials']).toMatchObject({ ok: true, detail: 'ANTHROPIC_API_KEY is set' });
    expect(c['agent env file']).toMatchObject({ ok: true, detail: `${envFile}: ANTHROPIC_API_KEY` });
    expect(json.stdout).not.toContain('sk-ant-from-the-env-file');

    const table = await nightshift(['doctor', '--agent', 'claude', '--agent-bin', claude], { ...home, NIGHTSHIFT_TASK_QUEUE: env.taskQueue() });
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^workers +MISSING +no worker polls task queue/m);
    expect(table.stdout).toMatch(/^ +fix: nightshift worker$/m);
    expect(table.stdout).toMatch(/^claude credentials +MISSING/m);
  });

  it('codex: the real `codex login status` decides, with a fake HOME and CODEX_HOME', async () => {
    const codex = await ensureAgentCli('codex');
    const home = fakeHome();
    const vars = { ...home, CODEX_HOME: join(home.HOME as string, '.codex'), OPENAI_API_KEY: '', CODEX_API_KEY: '', NIGHTSHIFT_TASK_QUEUE: env.taskQueue() };
    // A CODEX_HOME that does not exist is codex's own configuration error, passed on as it said it.
    const noDir = byCheck(JSON.parse((await nightshift(['doctor', '--json', '--agent', 'codex', '--agent-bin', codex], vars)).stdout) as CheckResult[]);
    expect(noDir['codex credentials']).toMatchObject({ ok: false, detail: expect.stringContaining('CODEX_HOME points to') });
    mkdirSync(vars.CODEX_HOME);
    const out = await nightshift(['doctor', '--json', '--agent', 'codex', '--agent-bin', codex], vars);
    const c = byCheck(JSON.parse(out.stdout) as CheckResult[]);
    expect(c['codex version']).toMatchObject({ ok: true, detail: expect.stringMatching(/^0\.171\.\d+ \(tested 0\.171\.0/) });
    expect(c['codex credentials']).toMatchObject({ ok: false, detail: expect.stringMatching(/^codex login status: Not logged in/i) });
    expect(c['codex credentials']?.fix).toMatch(/^codex login/);
    const keyed = await nightshift(['doctor', '--json', '--agent', 'codex', '--agent-bin', codex], { ...vars, CODEX_API_KEY: 'sk-test-not-real' });
    expect(byCheck(JSON.parse(keyed.stdout) as CheckResult[])['codex credentials']).toMatchObject({ ok: true, detail: 'CODEX_API_KEY is set' });
  }, 300_000);

  it('finds all four pinned CLIs in Nightshift\'s cache and checks each version with the real CLI', async () => {
    for (const name of ['codex', 'gemini', 'aider'] as const) await ensureAgentCli(name);
    const home = fakeHome();
    // PATH without any agent CLI: only the cache can answer.
    const r = await nightshift(['doctor', '--json'], { ...home, PATH: '/usr/bin:/bin', NIGHTSHIFT_TASK_QUEUE: env.taskQueue() });
    const c = byCheck(JSON.parse(r.stdout) as CheckResult[]);
    for (const [name, tested] of [['claude', '2.1.197'], ['codex', '0.171.0'], ['gemini', '0.61.0'], ['aider', '0.86.2']] as const) {
      expect(c[name]).toMatchObject({ ok: true, detail: expect.stringContaining(`in Nightshift's cache (${cacheDir()}`) });
      expect(c[`${name} version`]).toMatchObject({ ok: true, detail: expect.stringContaining(`(tested ${tested}; range`) });
      expect(c[`${name} credentials`]?.ok).toBe(false);
    }
    expect(r.code).toBe(1);
  }, 600_000);

  it('an unreachable server is a miss with its fix, not a crash', async () => {
    const r = await nightshift(['doctor', '--json', '--agent', 'claude', '--agent-bin', claude], { ...fakeHome(), TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(1);
    const c = byCheck(JSON.parse(r.stdout) as CheckResult[]);
    expect(c.temporal).toMatchObject({ ok: false, fix: expect.stringContaining('nightshift server') });
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('start and add warn when no worker polls the task queue', () => {
  it('start: the build is started, and stderr says nothing runs until a worker does', async () => {
    const queue = env.taskQueue();
    const plan = writeJson(join(tempDir('plan'), 'plan.json'), samplePlan(1));
    const label = `nowork-${Date.now() % 1_000_000}`;
    const r = await nightshift(['start', '--plan', plan, '--repo', makeRepo(), '--label', label, '--json'], { NIGHTSHIFT_TASK_QUEUE: queue });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: no worker is polling task queue "${queue}"`);
    expect(JSON.parse(r.stdout)).toMatchObject({ label });
    await env.client.workflow.getHandle(`build-${label}`).terminate('test cleanup');
  });
});
