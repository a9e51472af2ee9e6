import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/server/ports';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv } from '../support/temporal';
import { CLI, nightshift } from '../support/cli';


let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});


/** A repo holding a seed-001 session `s1` whose checkpoint 1 is already done. */
function seedRepo(finalized = true): string {
  const repo = makeRepo();
  const dir = join(repo, 'agents', 'sessions', 's1');
  const plan = samplePlan(3);
  (plan.checkpoints[0] as Record<string, unknown>).status = 'completed';
  writeJson(join(dir, 'plan.json'), plan);
  writeJson(join(dir, 'state.json'), {
    current_phase: 'plan',
    phases: { plan: { status: finalized ? 'finalized' : 'draft' } },
    plan_state: { current_checkpoint: 2, checkpoints_completed: [1] },
  });
  writeJson(join(dir, 'dev-notes.json'), [{ scope: { type: 'session', ref: null }, category: 'decision', content: 'use sqlite' }]);
  gitIn(repo, 'add', '.');
  gitIn(repo, 'commit', '-q', '-m', 'session s1 planned');
  return repo;
}

describe('nightshift start --session (seed 001)', () => {
  it('runs the remaining checkpoints and keeps the session files true in each commit', async () => {
    const repo = seedRepo();
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const scenario = writeJson(join(tempDir('sc'), 'scenario.json'), {
      rules: [{ when: { checkpoint: '3' }, do: [{ print: 'DEVNOTE discovery: step 3 needed a migration' }, { edit: true }] }],
    });
    const run = await worker.runUntil(
      nightshift(['start', '--session', 's1', '--repo', repo, '--scenario', scenario, '--wait', '--json'], { NIGHTSHIFT_TASK_QUEUE: taskQueue }),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('completed · 100%');
    const out = JSON.parse(run.stdout) as { label: string; workflowId: string; status: { status: string; checkpoints: { id: string; status: string }[] } };
    expect(out.label).toBe('s1');
    expect(out.workflowId).toBe('build-s1');
    expect(out.status.status).toBe('completed');
    expect(gitIn(repo, 'log', '--format=%s', 'main..nightshift/s1').split('\n')).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2']);

    type Json = { [key: string]: Json } & Json[] & string;
    const at = (ref: string, file: string) => JSON.parse(gitIn(repo, 'show', `${ref}:agents/sessions/s1/${file}`)) as Json;
    const afterTwo = at('nightshift/s1~1', 'state.json');
    expect(afterTwo.plan_state).toMatchObject({ current_checkpoint: 3, checkpoints_completed: [1, 2], current_task_group: null });
    expect(afterTwo.phases?.build?.status).toBe('in_progress');
    const final = at('nightshift/s1', 'state.json');
    expect(final.plan_state).toMatchObject({ current_checkpoint: null, checkpoints_completed: [1, 2, 3] });
    expect(final.phases?.build?.status).toBe('completed');
    expect(final.phases?.plan?.status).toBe('finalized');
    expect(at('nightshift/s1', 'plan.json').checkpoints?.map((c) => c.status)).toEqual(['completed', 'completed', 'completed']);
    expect(at('nightshift/s1', 'dev-notes.json')).toEqual([
      expect.objectContaining({ content: 'use sqlite' }),
      expect.objectContaining({ category: 'discovery', content: 'step 3 needed a migration' }),
    ]);
    // The person's checkout is untouched.
    expect(JSON.parse(readFileSync(join(repo, 'agents', 'sessions', 's1', 'state.json'), 'utf8')).plan_state.checkpoints_completed).toEqual([1]);
  });

  it('--checkpoint N runs that one checkpoint, leaves the build in progress, and works with an uncommitted session dir', async () => {
    const repo = seedRepo();
    // The session directory exists only in the checkout, as when a person never committed it.
    gitIn(repo, 'rm', '-r', '-q', '--cached', 'agents');
    gitIn(repo, 'commit', '-q', '-m', 'untrack the session');
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const run = await worker.runUntil(
      nightshift(['start', '--session', 's1', '--repo', repo, '--checkpoint', '2', '--label', 's1-cp2', '--wait', '--json'], { NIGHTSHIFT_TASK_QUEUE: taskQueue }),
    );
    expect(run.code).toBe(0);
    expect(gitIn(repo, 'log', '--format=%s', 'main..nightshift/s1-cp2')).toBe('checkpoint-2: Step 2');
    const state = JSON.parse(gitIn(repo, 'show', 'nightshift/s1-cp2:agents/sessions/s1/state.json')) as {
      phases: { plan: { status: string }; build: { status: string } };
      plan_state: { current_checkpoint: number | null; checkpoints_completed: number[] };
    };
    expect(state.phases.plan.status).toBe('finalized');
    expect(state.phases.build.status).toBe('in_progress');
    expect(state.plan_state).toMatchObject({ current_checkpoint: 3, checkpoints_completed: [1, 2] });
  });

  it('refuses what the seed refuses, in its words, before anything starts', async () => {
    const repo = seedRepo(false);
    const notFinal = await nightshift(['start', '--session', 's1', '--repo', repo]);
    expect(notFinal.code).toBe(2);
    expect(notFinal.stderr).toContain('Plan is not finalized. Use `/session:plan s1 finalize` first.');

    const missing = await nightshift(['start', '--session', 'nope', '--repo', repo]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("Session 'nope' not found. Check the ID or use `/session:spec` to create a new session.");

    const good = seedRepo();
    const badCheckpoint = await nightshift(['start', '--session', 's1', '--repo', good, '--checkpoint', '9']);
    expect(badCheckpoint.stderr).toContain('Checkpoint 9 not found in plan. Available: 1, 2, 3');
    const badGroup = await nightshift(['start', '--session', 's1', '--repo', good, '--checkpoint', '2', '--task-group', '2.7']);
    expect(badGroup.stderr).toContain('TaskGroup 2.7 not found in checkpoint 2. Available: 2.1');
  });
});

describe('bad input', () => {
  it('a malformed plan names the file and the path inside it; no stack trace; nothing started', async () => {
    const repo = makeRepo();
    const file = join(tempDir('plan'), 'plan.json');
    writeFileSync(file, JSON.stringify({ title: 'x', checkpoints: [{ id: 1, title: 5, task_groups: [] }] }));
    const r = await nightshift(['start', '--plan', file, '--repo', repo, '--label', 'never-started']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} is not valid:`);
    expect(r.stderr).toMatch(/checkpoints\[0\]\.title: .*string/);
    expect(r.stderr).toContain('checkpoints[0].task_groups: a checkpoint needs at least one task group');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    await expect(env.client.workflow.getHandle('build-never-started').describe()).rejects.toThrow(/not found/i);
  });

  it('names the flag that is wrong, and every command has --help', async () => {
    const r = await nightshift(['start', '--plan', 'p.json', '--stall-timeout', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--stall-timeout');
    // "4 hours" would otherwise become 4 ms plus a stray word: both are refused.
    const bare = await nightshift(['start', '--plan', 'p.json', '--stall-timeout', '4', 'hours']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('expected a duration with a unit, like 30s, 5m or 4h (--stall-timeout)');
    const help = await nightshift(['--help']);
    const names = [...help.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const h = await nightshift([name, '--help']);
      expect({ name, code: h.code }).toEqual({ name, code: 0 });
      expect(h.stdout).toContain('Usage: nightshift');
    }
  });

  it('docs/cli.md is the output of --help (regenerate with npm run docs:cli)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { render } = require('../../scripts/cli-docs.js') as { render: () => string };
    expect(readFileSync(join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8')).toBe(render());
  });

  it('a non-git --repo is refused before anything starts', async () => {
    const plan = writeJson(join(tempDir('plan'), 'plan.json'), samplePlan(1));
    const r = await nightshift(['start', '--plan', plan, '--repo', tempDir('plain')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--repo: .* is not a git repository/);
  });
});

describe('nightshift server', () => {
  it('runs the dev server in the foreground, links to its real UI port, says when a port is taken, and stops cleanly on Ctrl-C', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const db = join(tempDir('server'), 'temporal.db');
    const home = tempDir('server-home');
    const server = spawn(process.execPath, [CLI, 'server', '--port', String(port), '--ui-port', String(uiPort), '--db', db], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NIGHTSHIFT_HOME: home },
    });
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!out.includes('Temporal dev server ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain(`Temporal dev server ready at 127.0.0.1:${port} (database ${db})`);
    expect(out).toContain(`Web UI: http://127.0.0.1:${uiPort}`);

    // The CLI talking to this server links to the UI port the server chose, not to 8233.
    const plan = writeJson(join(tempDir('plan'), 'plan.json'), samplePlan(1));
    const cliEnv = { NIGHTSHIFT_HOME: home, TEMPORAL_ADDRESS: `localhost:${port}`, NIGHTSHIFT_UI_URL: '' };
    const started = await nightshift(['start', '--plan', plan, '--repo', makeRepo(), '--label', `ui-link-${port}`, '--json'], cliEnv);
    expect(started.code).toBe(0);
    expect((JSON.parse(started.stdout) as { url: string }).url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${uiPort}/namespaces/default/workflows/build-ui-link-${port}/`));

    const second = await nightshift(['server', '--port', String(port), '--ui-port', String(await freePort())]);
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(`Something is already listening on 127.0.0.1:${port}`);

    server.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Temporal dev server stopped.');
  });
});

describe('nightshift logs', () => {
  it('prints the latest transcript, a chosen session, and -f follows until the build is finished', async () => {
    const repo = makeRepo();
    const taskQueue = env.taskQueue();
    const { worker, home } = await env.worker({ taskQueue });
    const plan = writeJson(join(tempDir('plan'), 'plan.json'), samplePlan(2));
    const label = `logs-${Date.now() % 1_000_000}`;
    const cli = (args: string[]) => nightshift(args, { NIGHTSHIFT_TASK_QUEUE: taskQueue, NIGHTSHIFT_HOME: home });
    const [started, followed] = await worker.runUntil(async () => {
      const s = await cli(['start', '--plan', plan, '--repo', repo, '--label', label, '--wait']);
      return [s, await cli(['logs', label, '-f'])] as const;
    });
    expect(started.code).toBe(0);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain('scripted agent: session 2, checkpoint 2');
    const first = await cli(['logs', label, '--session', '1']);
    expect(first.stdout).toContain('scripted agent: session 1, checkpoint 1');
    expect(first.stdout).toMatch(/# exited with 0 after \d+ms/);
    const missing = await cli(['logs', 'no-such-build']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no session transcripts for build "no-such-build"');
  });
});
