import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import type { AgentSpec } from '../../src/model/request';
import { statusQuery } from '../../src/workflows/build/messages';
import { untilStatus } from '../support/builds';
import {
  type FunctionCall,
  geminiCost,
  GeminiEndpoint,
  promptText,
  toolNames,
  toolRounds,
  type RecordedRequest,
  type Reply,
  type Script,
  type TurnUsage,
} from '../support/endpoints/gemini';
import { GEMINI_25_PRO_PRICE, GEMINI_TEST_MODEL, geminiAgentEnv, geminiBin, geminiHome } from '../support/geminiHome';
import { branchSubjects, gitIn, makeRepo, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { nightshift, sessionResults, verifiedPlan } from '../support/cli';

/**
 * The real Gemini CLI (the pinned version the global setup installs) driven by Nightshift on the real
 * dev server, talking to a scripted Gemini API endpoint on 127.0.0.1: gemini's own tools write the
 * files, Nightshift verifies and commits.
 */

const KEY = 'scripted-gemini-key-for-tests';

let env: TestEnv;
const endpoints: GeminiEndpoint[] = [];
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});
afterAll(async () => {
  await env.close();
});

async function endpoint(script: Script): Promise<GeminiEndpoint> {
  const e = await GeminiEndpoint.start(script, { apiKey: KEY });
  endpoints.push(e);
  return e;
}

/** A worker whose agents get the API key from the worker side, as a secret must (never in the request). */
async function geminiWorker(taskQueue: string, agentEnv: Record<string, string> = { GEMINI_API_KEY: KEY }): Promise<{ worker: Worker; home: string }> {
  return env.worker({ taskQueue, agentEnv });
}

function geminiAgent(api: GeminiEndpoint, extra: Partial<AgentSpec> = {}): AgentSpec {
  return { kind: 'gemini', bin: geminiBin(), model: GEMINI_TEST_MODEL, env: geminiAgentEnv(geminiHome(), api.url), ...extra };
}

let counter = 0;
const label = (name: string) => `gemini-${name}-${process.pid}-${++counter}-${Date.now() % 100000}`;




const checkpointOf = (r: RecordedRequest) => /## Checkpoint (\d+)/.exec(promptText(r))?.[1] ?? '?';
const cost = (usages: TurnUsage[]) => geminiCost(usages, GEMINI_25_PRO_PRICE);
const tokens = (usages: TurnUsage[]) => ({
  inputTokens: usages.reduce((n, u) => n + u.promptTokenCount, 0),
  cachedInputTokens: usages.reduce((n, u) => n + (u.cachedContentTokenCount ?? 0), 0),
  outputTokens: usages.reduce((n, u) => n + u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0), 0),
});

describe('the real gemini CLI, end to end', () => {
  it("a 2-checkpoint build from `nightshift start --auto-approve`: gemini's own write_file and run_shell_command write the files in its fresh worktree (trusted), 2 commits, cost and tokens priced", async () => {
    const usage: Record<string, [TurnUsage, TurnUsage]> = {
      '1': [{ promptTokenCount: 12000, cachedContentTokenCount: 0, candidatesTokenCount: 300, thoughtsTokenCount: 120 }, { promptTokenCount: 12500, cachedContentTokenCount: 11000, candidatesTokenCount: 80 }],
      '2': [{ promptTokenCount: 14000, candidatesTokenCount: 250 }, { promptTokenCount: 14400, cachedContentTokenCount: 13000, candidatesTokenCount: 60, thoughtsTokenCount: 40 }],
    };
    const calls: Record<string, FunctionCall> = {
      '1': { name: 'write_file', args: { file_path: 'work/one.txt', content: 'one\n' } },
      '2': { name: 'run_shell_command', args: { command: 'mkdir -p work && echo two > work/two.txt', description: 'write work/two.txt' } },
    };
    const api = await endpoint((r): Reply => {
      const cp = checkpointOf(r);
      const [first, second] = usage[cp] ?? [undefined, undefined];
      if (toolRounds(r) === 0) return { calls: [calls[cp] ?? { name: 'write_file', args: { file_path: 'unexpected.txt', content: cp } }], ...(first ? { usage: first } : {}) };
      return { text: `DEVNOTE decision: checkpoint ${cp} was written by gemini's ${calls[cp]?.name ?? '?'}\nCheckpoint ${cp} is done.`, ...(second ? { usage: second } : {}) };
    });
    const repo = makeRepo();
    const planFile = writeJson(join(tempDir('plan'), 'plan.json'), verifiedPlan('Gemini builds', [
      { title: 'Write one', verify: 'grep -qx one work/one.txt' },
      { title: 'Write two', verify: 'grep -qx two work/two.txt' },
    ]));
    const name = label('build');
    const taskQueue = env.taskQueue();
    const { worker } = await geminiWorker(taskQueue);
    const envFlags = Object.entries(geminiAgentEnv(geminiHome(), api.url)).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const run = await worker.runUntil(
      nightshift(
        ['start', '--plan', planFile, '--repo', repo, '--label', name, '--agent', 'gemini', '--agent-bin', geminiBin(), '--model', GEMINI_TEST_MODEL, '--auto-approve', ...envFlags, '--retry-interval', '1s', '--wait', '--json'],
        { NIGHTSHIFT_TASK_QUEUE: taskQueue },
      ),
    );
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { status: { status: string; spentUsd: number; sessions: number; lastOutput: string; devNotes: { content: string }[] } };
    expect(out.status).toMatchObject({ status: 'completed', sessions: 2, lastOutput: 'Checkpoint 2 is done.' });
    expect(branchSubjects(repo, name)).toEqual(['checkpoint-2: Write two', 'checkpoint-1: Write one']);
    expect(gitIn(repo, 'show', `nightshift/${name}:work/one.txt`)).toBe('one');
    expect(gitIn(repo, 'show', `nightshift/${name}:work/two.txt`)).toBe('two');
    expect(gitIn(repo, 'show', '--name-only', '--format=', `nightshift/${name}`)).toBe('work/two.txt');
    expect(out.status.devNotes.map((n) => n.content)).toEqual(["checkpoint 1 was written by gemini's write_file", "checkpoint 2 was written by gemini's run_shell_command"]);

    // Two requests per session, no side requests; with --auto-approve (yolo) gemini offers shell commands.
    expect(api.requests.map((r) => `${checkpointOf(r)}.${toolRounds(r)}`)).toEqual(['1.0', '1.1', '2.0', '2.1']);
    expect(api.requests.every((r) => r.model === GEMINI_TEST_MODEL && r.stream)).toBe(true);
    expect(toolNames(api.requests[0] as RecordedRequest)).toEqual(expect.arrayContaining(['write_file', 'replace', 'run_shell_command']));

    // Tokens as the API reported them, each session priced as gemini-2.5-pro.
    const results = await sessionResults(env.client.workflow.getHandle(`build-${name}`));
    expect(results.map((r) => r.usage)).toEqual([tokens(usage['1'] ?? []), tokens(usage['2'] ?? [])]);
    expect(results.map((r) => r.costUsd)).toEqual([expect.closeTo(cost(usage['1'] ?? []), 12), expect.closeTo(cost(usage['2'] ?? []), 12)]);
    expect(results.map((r) => r.model)).toEqual([GEMINI_TEST_MODEL, GEMINI_TEST_MODEL]);
    expect(out.status.spentUsd).toBeCloseTo(cost(Object.values(usage).flat()), 4);
  });

  it('a loop with --auto-approve (yolo: shell commands too) ends on the completion promise, one commit per session', async () => {
    let sessions = 0;
    const api = await endpoint((r): Reply => {
      if (toolRounds(r) === 0) {
        sessions += 1;
        return { calls: [{ name: 'run_shell_command', args: { command: `echo 'session ${sessions}' >> notes.txt`, description: 'append a note' } }] };
      }
      return sessions === 1 ? { text: 'wrote the routes' } : { text: '<promise>DONE</promise>\nwrote the tests, all green' };
    });
    const repo = makeRepo();
    const taskQueue = env.taskQueue();
    const { worker } = await geminiWorker(taskQueue);
    const request = parseLoopRequest({
      taskName: label('loop'),
      task: 'Build a tiny todo API',
      repo,
      mode: 'lightweight',
      maxSessions: 4,
      agent: geminiAgent(api, { autoApprove: true }),
      policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '1m' },
    });
    const result = await worker.runUntil(async () => (await startLoop(env.client, request, { taskQueue })).result());
    expect(result).toMatchObject({ status: 'completed', sessions: 2, completion: { by: 'promise', session: 2 } });
    expect(gitIn(repo, 'show', 'HEAD:notes.txt')).toBe('session 1\nsession 2');
    expect(gitIn(repo, 'log', '--format=%s').split('\n')).toEqual(['session-2: wrote the tests, all green', 'session-1: wrote the routes', 'initial']);
    expect(toolNames(api.requests[0] as RecordedRequest)).toContain('run_shell_command');
    expect(api.requests).toHaveLength(4);
  });

  it('`pause --now` kills gemini mid-session; `resume` runs the task again from its prompt (gemini sessions are not resumed) and finishes; by default gemini may edit but not run commands', async () => {
    const api = await endpoint((r): Reply => {
      if (r.n === 1) return { calls: [{ name: 'write_file', args: { file_path: 'started.txt', content: 'started\n' } }] };
      // Gemini waits for this answer until `pause --now` kills it.
      if (r.n === 2) return { fail: 'hang' };
      if (toolRounds(r) === 0) return { calls: [{ name: 'write_file', args: { file_path: 'finished.txt', content: 'finished\n' } }] };
      return { text: 'finished after the pause' };
    });
    const repo = makeRepo();
    const name = label('pause');
    const taskQueue = env.taskQueue();
    const { worker } = await geminiWorker(taskQueue);
    const request = parseBuildRequest({
      label: name,
      repo,
      plan: verifiedPlan('Gemini builds', [{ title: 'Start and finish', verify: 'test -f started.txt && test -f finished.txt' }]),
      agent: geminiAgent(api),
      policy: { maxAttempts: 2, retryInterval: '1s', stallTimeout: '2m' },
    });
    const cli = { NIGHTSHIFT_TASK_QUEUE: taskQueue };
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      await eventually(() => (api.requests.length >= 2 ? true : undefined), 30_000, 'gemini to wait on its second request');
      const paused = await nightshift(['pause', name, '--now'], cli);
      expect(paused.code).toBe(0);
      const view = await untilStatus(handle, (v) => v.status === 'paused', 'the build to pause');
      expect(view.attempts).toEqual([]);
      expect(api.requests).toHaveLength(2);
      const resumed = await nightshift(['resume', name], cli);
      expect(resumed.code).toBe(0);
      expect((await handle.result()).status).toBe('completed');
      expect((await handle.query(statusQuery)).lastOutput).toBe('finished after the pause');
    });
    expect(branchSubjects(repo, name)).toEqual(['checkpoint-1: Start and finish']);
    expect(gitIn(repo, 'show', '--name-only', '--format=', `nightshift/${name}`).split('\n').sort()).toEqual(['finished.txt', 'started.txt']);
    const [first, , third] = api.requests as [RecordedRequest, RecordedRequest, RecordedRequest];
    // Without --auto-approve: `--approval-mode auto_edit`, file edits offered, shell commands not.
    expect(toolNames(first)).toEqual(expect.arrayContaining(['write_file', 'replace']));
    expect(toolNames(first)).not.toContain('run_shell_command');
    // The task ran again from its prompt: a fresh conversation, not the one the pause cut short.
    expect(toolRounds(third)).toBe(0);
    expect(promptText(third)).toBe(promptText(first));
    expect(third.body.contents.filter((c) => c.role === 'model')).toEqual([]);
  });

  it('a refused key (401) goes to the person at once: awaiting-human (auth) after one session, the fix in the message', async () => {
    const api = await endpoint([{ fail: 401 }]);
    const taskQueue = env.taskQueue();
    const { worker } = await geminiWorker(taskQueue);
    const request = parseBuildRequest({
      label: label('badkey'),
      repo: makeRepo(),
      plan: verifiedPlan('Gemini builds', [{ title: 'Anything', verify: 'true' }]),
      agent: geminiAgent(api),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const view = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(view.reason).toBe('auth');
      expect(view.sessions).toBe(1);
      expect(view.waiting?.message).toContain('GEMINI_API_KEY');
      expect(view.lastError).toMatch(/invalid authentication credentials/);
      // The last line is the error, not the closing brace of the stack trace gemini prints.
      expect(view.lastOutput).toMatch(/^Request had invalid authentication credentials/);
      await handle.cancel();
    });
    expect(api.requests).toHaveLength(1);
  });

  it('a missing key goes to the person at once (gemini exits 41), naming the variable to set', async () => {
    const api = await endpoint([{ text: 'never reached' }]);
    const taskQueue = env.taskQueue();
    // Empty rather than unset, so that a key in the test runner's own environment cannot reach the agent.
    const { worker, home } = await geminiWorker(taskQueue, { GEMINI_API_KEY: '' });
    const name = label('nokey');
    const request = parseBuildRequest({
      label: name,
      repo: makeRepo(),
      plan: verifiedPlan('Gemini builds', [{ title: 'Anything', verify: 'true' }]),
      agent: geminiAgent(api),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const view = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(view.reason).toBe('auth');
      expect(view.sessions).toBe(1);
      expect(view.lastError).toMatch(/^agent exit 41: gemini cannot log in: When using Gemini API, you must specify the GEMINI_API_KEY/);
      expect(view.waiting?.message).toMatch(/set GEMINI_API_KEY/);
      await handle.cancel();
    });
    expect(api.requests).toHaveLength(0);
    expect(existsSync(join(home, 'builds', name, 'sessions', 'session-002.log'))).toBe(false);
  });

  it('a quota gemini will not retry (429, "Please retry in 5s") parks the build until then without spending an attempt', async () => {
    const api = await endpoint((r): Reply => {
      if (r.n === 1) return { fail: 429, retryAfterSeconds: 5 };
      if (toolRounds(r) === 0) return { calls: [{ name: 'write_file', args: { file_path: 'done.txt', content: 'done\n' } }] };
      return { text: 'done after the limit' };
    });
    const taskQueue = env.taskQueue();
    const { worker } = await geminiWorker(taskQueue);
    const request = parseBuildRequest({
      label: label('limit'),
      repo: makeRepo(),
      plan: verifiedPlan('Gemini builds', [{ title: 'After the limit', verify: 'test -f done.txt' }]),
      agent: geminiAgent(api),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const parked = await untilStatus(handle, (v) => v.status === 'rate-limited', 'the build to park');
      expect(parked.reason).toBe('rate-limited');
      expect(parked.checkpoints[0]?.taskGroups[0]?.attempts).toBe(0);
      expect((await handle.result()).status).toBe('completed');
      expect((await handle.query(statusQuery)).attempts.map((a) => a.outcome)).toEqual(['rate-limited']);
    });
    expect(api.requests).toHaveLength(3);
    // It waited for the reset gemini reported (5 s after its exit), not the 1 s retry interval.
    const [limited, next] = api.requests as [RecordedRequest, RecordedRequest];
    expect(next.at - limited.at).toBeGreaterThanOrEqual(4500);
  });

  it('a malformed response fails the session (transient): the policy runs it again, and it finishes', async () => {
    const api = await endpoint((r): Reply => {
      if (r.n === 1) return { fail: 'malformed' };
      if (toolRounds(r) === 0) return { calls: [{ name: 'write_file', args: { file_path: 'done.txt', content: 'done\n' } }] };
      return { text: 'done on the second try' };
    });
    const taskQueue = env.taskQueue();
    const { worker } = await geminiWorker(taskQueue);
    const request = parseBuildRequest({
      label: label('malformed'),
      repo: makeRepo(),
      plan: verifiedPlan('Gemini builds', [{ title: 'Despite a bad body', verify: 'test -f done.txt' }]),
      agent: geminiAgent(api),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      expect((await handle.result()).status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.attempts).toEqual([expect.objectContaining({ outcome: 'failed', error: expect.stringMatching(/^agent exit 1: .*is not valid JSON/) })]);
      expect(view.lastOutput).toBe('done on the second try');
    });
    expect(api.requests).toHaveLength(3);
  });
});
