import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { withRepoConfig } from '../../src/client/repoConfigFlags';
import { PlanSchema } from '../../src/model/plan';
import { retryUpdate, skipUpdate, statusQuery } from '../../src/workflows/build/messages';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { untilStatus } from '../support/builds';
import { TestEnv } from '../support/temporal';

/**
 * `.nightshift/config.json` (issue 12): read by the CLI before anything is sent, merged under the
 * flags; its setup runs once in the new worktree before the first session, and a failing setup goes
 * to the person with its output (`setup-failed`), who retries it once the cause is fixed.
 */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env?.close();
});

function repoWithConfig(config: unknown, ignore: string[] = []): string {
  const repo = makeRepo();
  mkdirSync(join(repo, '.nightshift'));
  writeFileSync(join(repo, '.nightshift', 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  writeFileSync(join(repo, '.gitignore'), ignore.map((l) => `${l}\n`).join(''));
  gitIn(repo, 'add', '.');
  gitIn(repo, 'commit', '-q', '-m', 'nightshift config');
  return repo;
}

/** The request `nightshift start --plan` would send for this repo (flags: the scripted agent). */
function requestFor(repo: string, label: string, plan: unknown) {
  const dir = tempDir('cfg');
  const scenario = writeJson(join(dir, 'scenario.json'), { rules: [] });
  const parsed = PlanSchema.parse(plan);
  const configured = withRepoConfig(repo, [], { agent: { kind: 'scripted', scenario }, plan: parsed });
  return parseBuildRequest({ label, repo, ...configured, plan: configured.plan ?? parsed, policy: { maxAttempts: 2, retryInterval: '1s', stallTimeout: '1m' } });
}

const noVerify = () => {
  const plan = samplePlan(2);
  for (const c of plan.checkpoints) c.testing_strategy.verification_steps = [];
  return plan;
};

it('a bad config is refused by start before anything is sent, naming the file and the key', () => {
  const repo = repoWithConfig('{\n  "setup": ["npm ci"],\n  "agent": { "kind": "claude", "modle": "opus" }\n}\n');
  const dir = tempDir('cfg');
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(samplePlan(1)));
  // No server at this address: the error must come before any connection is tried.
  const r = spawnSync(process.execPath, [CLI, 'start', '--plan', join(dir, 'plan.json'), '--repo', repo], {
    encoding: 'utf8',
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(join(repo, '.nightshift', 'config.json'));
  expect(r.stderr).toContain('agent.modle');
  expect(r.stderr).toContain('(line 3)');
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

it('setup runs once in the new worktree before the first session; verify fills plans without steps', async () => {
  const repo = repoWithConfig({ setup: ['echo installed >> setup-ran'], verify: ['test -f setup-ran'] }, ['setup-ran']);
  const label = `cfg-ok-${process.pid}-${Date.now() % 100000}`;
  const request = requestFor(repo, label, noVerify());
  expect(request.setup).toEqual(['echo installed >> setup-ran']);
  expect(request.plan.checkpoints.map((c) => c.testing_strategy.verification_steps)).toEqual([['test -f setup-ran'], ['test -f setup-ran']]);
  const taskQueue = env.taskQueue();
  const { worker } = await env.worker({ taskQueue });
  await worker.runUntil(async () => {
    const handle = await startBuild(env.client, request, { taskQueue });
    await handle.result();
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('completed');
    const worktree = view.worktree as string;
    // Once, not once per checkpoint; and never in a commit.
    expect(gitIn(worktree, 'show', 'HEAD:.gitignore')).toBe('setup-ran');
    expect(spawnSync('cat', [join(worktree, 'setup-ran')], { encoding: 'utf8' }).stdout).toBe('installed\n');
    expect(gitIn(repo, 'log', '--format=%H', '--name-only', `main..nightshift/${label}`)).not.toContain('setup-ran');
  });
});

it('a failing setup waits for the person with its output; retry runs it again', async () => {
  const marker = join(tempDir('cfg'), 'deps-ready');
  const repo = repoWithConfig({ setup: [`echo resolving deps; test -f ${marker}`] });
  const label = `cfg-fail-${process.pid}-${Date.now() % 100000}`;
  const request = requestFor(repo, label, samplePlan(1));
  const taskQueue = env.taskQueue();
  const { worker } = await env.worker({ taskQueue });
  await worker.runUntil(async () => {
    const handle = await startBuild(env.client, request, { taskQueue });
    const waiting = await untilStatus(handle, (v) => v.reason === 'setup-failed', 'setup-failed');
    expect(waiting.status).toBe('awaiting-human');
    expect(waiting.sessions).toBe(0);
    expect(waiting.waiting?.message).toContain('resolving deps');
    expect(waiting.waiting?.message).toContain('(exit 1)');
    // Retrying before the cause is fixed fails again and asks again.
    await handle.executeUpdate(retryUpdate);
    await untilStatus(handle, (v) => v.reason === 'setup-failed', 'setup-failed again');
    writeFileSync(marker, 'yes');
    await handle.executeUpdate(retryUpdate);
    await handle.result();
    const done = await handle.query(statusQuery);
    expect(done.status).toBe('completed');
    expect(done.sessions).toBeGreaterThan(0);
    expect(existsSync(join(done.worktree as string, 'work'))).toBe(true);
  });
});

it('skip goes on without the setup, leaving a DevNote', async () => {
  const repo = repoWithConfig({ setup: ['echo cannot reach the registry >&2; exit 3'] });
  const label = `cfg-skip-${process.pid}-${Date.now() % 100000}`;
  const request = requestFor(repo, label, samplePlan(1));
  const taskQueue = env.taskQueue();
  const { worker } = await env.worker({ taskQueue });
  await worker.runUntil(async () => {
    const handle = await startBuild(env.client, request, { taskQueue });
    const waiting = await untilStatus(handle, (v) => v.reason === 'setup-failed', 'setup-failed');
    expect(waiting.waiting?.message).toContain('cannot reach the registry');
    expect(waiting.waiting?.message).toContain('(exit 3)');
    await handle.executeUpdate(skipUpdate, { args: [{ note: 'the registry is down tonight; the plan needs no packages' }] });
    await handle.result();
    const done = await handle.query(statusQuery);
    expect(done.status).toBe('completed');
    expect(done.devNotes.map((n) => n.content)).toContain('setup not done (skip): the registry is down tonight; the plan needs no packages');
  });
});
