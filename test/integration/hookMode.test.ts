import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_CLI_PINS } from '../../src/agents/cliVersions';
import { installedLoops, installStopHook } from '../../src/hooks/settings';
import { writeHookState } from '../../src/hooks/stateFile';
import { hookPrompt } from '../../src/model/hookLoop';
import { loopWorkflowId } from '../../src/model/loopRequest';
import { freePort } from '../../src/server/ports';
import { loopStatusQuery } from '../../src/workflows/loop/messages';
import type { LoopStatusView } from '../../src/workflows/loop/state';
import { claudeWrapper } from '../support/claudeHarness';
import { nightshift as runCli } from '../support/cli';
import { recordHistory } from '../support/histories';
import { AnthropicEndpoint, type RecordedRequest, type Reply } from '../support/endpoints/anthropic';
import { makeRepo } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';

/**
 * Seed 003's hook mode with the real Claude Code CLI (the pinned version) in print mode, whose Stop
 * hooks fire there too: `nightshift loop --hook` installs the hook, claude runs in the repo against a
 * scripted Anthropic endpoint, and each time it tries to stop the hook asks the loop workflow.
 */

const ROOT = join(__dirname, '..', '..');
const HOOK = join(ROOT, 'dist', 'src', 'hooks', 'stopHook.js');
const MODEL = 'claude-sonnet-4-5';
/** The person's own settings, which the loop must leave as they were. */
const THEIRS = { permissions: { allow: ['Bash(npm test)'] }, env: { TEAM: 'night' } };

let env: TestEnv;
const endpoints: AnthropicEndpoint[] = [];
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
  await env.close();
});

type Run = { code: number; stdout: string; stderr: string };

function run(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A child that never reads stdin closes it: nothing to report.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const nightshift = (args: string[], taskQueue: string) => runCli(args, { NIGHTSHIFT_TASK_QUEUE: taskQueue });
const succeeded = (r: Run) => expect({ code: r.code, stderr: r.stderr.slice(-1500) }).toMatchObject({ code: 0 });

async function endpoint(script: (request: RecordedRequest) => Reply): Promise<AnthropicEndpoint> {
  const e = await AnthropicEndpoint.start(script);
  endpoints.push(e);
  return e;
}

function repoWithSettings(): string {
  const repo = makeRepo();
  mkdirSync(join(repo, '.claude'), { recursive: true });
  writeFileSync(join(repo, '.claude', 'settings.local.json'), JSON.stringify(THEIRS, null, 2));
  return repo;
}
const settingsOf = (repo: string) => JSON.parse(readFileSync(join(repo, '.claude', 'settings.local.json'), 'utf8')) as Record<string, unknown>;
const stateFile = (repo: string) => join(repo, '.claude', 'nightshift-loop.local.json');
/** The text the model was handed back by the Stop hook, per request (claude sends it as "Stop hook feedback:"). */
const handedBack = (r: RecordedRequest): boolean => /Stop hook feedback/.test(JSON.stringify(r.body.messages.at(-1)));

let counter = 0;
const newName = (what: string) => `hook-${what}-${process.pid}-${++counter}`;

describe(`hook mode with the real claude ${AGENT_CLI_PINS.claude.version} (claude -p, Stop hook)`, () => {
  it('the hook blocks two stops with the prompt, the promise on the third completes the loop, and the hook is gone', async () => {
    let turn = 0;
    const api = await endpoint(() => {
      turn += 1;
      if (turn < 3) return { text: `Step ${turn} done; more to do.` };
      return { text: 'Every test passes now.\n<promise>DONE</promise>' };
    });
    const repo = repoWithSettings();
    const name = newName('done');
    const taskQueue = env.taskQueue();
    // No workflow cache: every task (each stop's update included) replays the history first.
    const { worker } = await env.worker({ taskQueue, maxCachedWorkflows: 0 });
    await worker.runUntil(async () => {
      const started = await nightshift(['loop', '--hook', 'Fix the failing tests', '--repo', repo, '--task-name', name, '--max-iterations', '5', '--json'], taskQueue);
      succeeded(started);
      const out = JSON.parse(started.stdout) as { prompt: string; settingsFile: string };
      expect(out.prompt).toBe(hookPrompt({ taskName: name, task: 'Fix the failing tests', completionPromise: 'DONE' }));
      // Merged: the person's settings and the hook side by side.
      expect(settingsOf(repo)).toMatchObject(THEIRS);
      expect(installedLoops(settingsOf(repo))).toEqual([name]);
      expect(existsSync(stateFile(repo))).toBe(true);

      const claude = await run(claudeWrapper(api), ['-p', 'Fix the failing tests', '--model', MODEL], { cwd: repo });
      expect({ code: claude.code, stderr: claude.stderr.slice(-1500) }).toMatchObject({ code: 0 });
      expect(claude.stdout).toContain('<promise>DONE</promise>');

      const handle = env.client.workflow.getHandle(loopWorkflowId(name));
      const result = (await handle.result()) as LoopStatusView;
      await recordHistory(handle, 'loop-hook');
      expect(result).toMatchObject({ status: 'completed', execution: 'hook', sessions: 3, completion: { by: 'promise', session: 3 } });
      expect(result.iterations.map((i) => [i.n, i.decision, i.promiseSeen])).toEqual([
        [1, 'block', false],
        [2, 'block', false],
        [3, 'allow', true],
      ]);
      expect(result.iterations[0]?.lastMessage).toBe('Step 1 done; more to do.');
      expect(new Set(result.iterations.map((i) => i.transcriptPath)).size).toBe(1);
      expect(result.iterations[0]?.transcriptPath).toMatch(/\.jsonl$/);
    });
    // The model got the prompt back twice, after each blocked stop.
    expect(api.requests).toHaveLength(3);
    const back = api.requests.filter(handedBack);
    expect(back).toHaveLength(2);
    for (const r of back) expect(JSON.stringify(r.body.messages.at(-1))).toContain(`# Task: ${name}`);
    // Completion took the hook out, and only the hook.
    expect(settingsOf(repo)).toEqual(THEIRS);
    expect(existsSync(stateFile(repo))).toBe(false);
    const progress = readFileSync(join(repo, '.autonomous', name, 'progress.md'), 'utf8');
    expect(progress).toContain('Stop 2 of the Claude Code session');
    expect(progress).toContain('completion promise seen');
  });

  it('loop --cancel cancels the workflow and removes the hook, keeping the person’s settings', async () => {
    const repo = repoWithSettings();
    const name = newName('cancel');
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    await worker.runUntil(async () => {
      succeeded(await nightshift(['loop', '--hook', 'Refactor the parser', '--repo', repo, '--task-name', name], taskQueue));
      const handle = env.client.workflow.getHandle(loopWorkflowId(name));
      await eventually(async () => ((await handle.query(loopStatusQuery)).status === 'running' ? true : undefined), 30_000, 'the loop to run');
      const listed = await nightshift(['loop', '--list', '--json'], taskQueue);
      expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ taskName: name, mode: 'hook', status: 'running' }));
      const cancelled = await nightshift(['loop', '--cancel', name], taskQueue);
      succeeded(cancelled);
      expect(cancelled.stdout).toContain(`Cancelled loop ${name}.`);
      await expect(handle.result()).rejects.toThrow();
      expect((await handle.describe()).status.name).toBe('CANCELLED');
    });
    expect(settingsOf(repo)).toEqual(THEIRS);
    expect(existsSync(stateFile(repo))).toBe(false);
  });

  it('cancelling the workflow itself (Web UI, temporal workflow cancel) removes the hook through the worker', async () => {
    const repo = repoWithSettings();
    const name = newName('wfcancel');
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    await worker.runUntil(async () => {
      succeeded(await nightshift(['loop', '--hook', 'Rename the module', '--repo', repo, '--task-name', name, '--max-iterations', '3'], taskQueue));
      expect(installedLoops(settingsOf(repo))).toEqual([name]);
      const handle = env.client.workflow.getHandle(loopWorkflowId(name));
      await eventually(async () => ((await handle.query(loopStatusQuery)).status === 'running' ? true : undefined), 30_000, 'the loop to run');
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
    });
    expect(settingsOf(repo)).toEqual(THEIRS);
    expect(existsSync(stateFile(repo))).toBe(false);
  });

  it('deleting the state file cancels the loop: the hook lets claude stop and reports the cancel', async () => {
    const api = await endpoint(() => ({ text: 'Halfway there.' }));
    const repo = repoWithSettings();
    const name = newName('rm');
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    await worker.runUntil(async () => {
      succeeded(await nightshift(['loop', '--hook', 'Tidy the docs', '--repo', repo, '--task-name', name], taskQueue));
      rmSync(stateFile(repo));
      const claude = await run(claudeWrapper(api), ['-p', 'Tidy the docs', '--model', MODEL], { cwd: repo });
      expect(claude.code).toBe(0);
      const handle = env.client.workflow.getHandle(loopWorkflowId(name));
      await expect(handle.result()).rejects.toThrow();
      expect((await handle.describe()).status.name).toBe('CANCELLED');
    });
    expect(api.requests).toHaveLength(1);
    expect(settingsOf(repo)).toEqual(THEIRS);
  });

  it('with Temporal unreachable the hook decides by the local rule, says so, and exits', async () => {
    const repo = repoWithSettings();
    const name = newName('offline');
    const address = `127.0.0.1:${await freePort()}`;
    const prompt = hookPrompt({ taskName: name, task: 'Ship it', completionPromise: 'DONE' });
    writeHookState(repo, { taskName: name, workflowId: loopWorkflowId(name), task: 'Ship it', prompt, completionPromise: 'DONE', maxIterations: 3, iterations: 0, temporal: { address, namespace: 'default' }, startedAt: new Date().toISOString() });
    installStopHook({ script: HOOK, taskName: name, repo, address, namespace: 'default' });
    const hook = (message: string) =>
      run(process.execPath, [HOOK, '--nightshift-loop', name, '--repo', repo, '--address', address, '--namespace', 'default'], {
        env: { NIGHTSHIFT_HOOK_BUDGET_MS: '2000' },
        input: JSON.stringify({ session_id: 's1', transcript_path: '/tmp/t.jsonl', cwd: repo, hook_event_name: 'Stop', stop_hook_active: false, last_assistant_message: message }),
      });

    const first = await hook('Not yet.');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ decision: 'block', reason: prompt });
    expect(first.stderr).toContain(`nightshift: no answer from loop ${name} through Temporal at ${address}`);
    expect(first.stderr).toContain('local rule:');
    expect(first.stderr).toContain('iteration 1 of 3, promise not seen: the prompt is handed back');
    expect((JSON.parse(readFileSync(stateFile(repo), 'utf8')) as { iterations: number }).iterations).toBe(1);

    const done = await hook('Shipped.\n<promise>DONE</promise>');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({ systemMessage: expect.stringContaining('iteration 2 of 3, completion promise seen: the session may stop') });
    expect(done.stderr).toContain(`nightshift loop --cancel ${name}`);
    // The loop is over here: no hook to hold the next session, the person's settings intact.
    expect(settingsOf(repo)).toEqual(THEIRS);
    expect(existsSync(stateFile(repo))).toBe(false);
  });
});
