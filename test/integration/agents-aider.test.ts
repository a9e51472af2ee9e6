import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import type { AgentSpec } from '../../src/model/request';
import { statusQuery } from '../../src/workflows/build/messages';
import { AIDER_TEST_MODEL, aiderAgentEnv, aiderBin, aiderHome, GPT_4O_MINI_PRICE } from '../support/aiderHome';
import { untilStatus } from '../support/builds';
import { lastUserText, OpenAIChatEndpoint, type RecordedRequest, type Reply, type Script, type TurnUsage, wholeFile } from '../support/endpoints/openaiChat';
import { branchSubjects, gitIn, makeRepo, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { nightshift, sessionResults, verifiedPlan } from '../support/cli';

/**
 * The real aider (the pinned version the global setup installs) driven by Nightshift on the real dev
 * server, talking to a scripted Chat Completions endpoint on 127.0.0.1: aider applies the model's
 * whole-file edits, Nightshift verifies and commits.
 */

const KEY = 'scripted-openai-key-for-tests';

let env: TestEnv;
const endpoints: OpenAIChatEndpoint[] = [];
beforeAll(async () => {
  // Agents inherit the worker's (this process's) environment: a key of the machine's must not reach them.
  delete process.env.OPENAI_API_KEY;
  env = await TestEnv.connect();
});
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});
afterAll(async () => {
  await env.close();
});

async function endpoint(script: Script): Promise<OpenAIChatEndpoint> {
  const e = await OpenAIChatEndpoint.start(script, { apiKey: KEY });
  endpoints.push(e);
  return e;
}

/** A worker whose agents get the API key from the worker side, as a secret must (never in the request). */
async function aiderWorker(taskQueue: string, agentEnv: Record<string, string> = { OPENAI_API_KEY: KEY }): Promise<{ worker: Worker; home: string }> {
  return env.worker({ taskQueue, agentEnv });
}

function aiderAgent(api: OpenAIChatEndpoint): AgentSpec {
  return { kind: 'aider', bin: aiderBin(), model: AIDER_TEST_MODEL, env: aiderAgentEnv(aiderHome(), api.baseUrl) };
}

let counter = 0;
const label = (name: string) => `aider-${name}-${process.pid}-${++counter}-${Date.now() % 100000}`;




const checkpointOf = (r: RecordedRequest) => /## Checkpoint (\d+)/.exec(lastUserText(r))?.[1] ?? '?';
const cost = (u: TurnUsage) => (u.prompt_tokens * GPT_4O_MINI_PRICE.input + u.completion_tokens * GPT_4O_MINI_PRICE.output) / 1e6;
/** Files aider must never leave in a commit: its history, its repo-map cache, a .gitignore of its own. */
const aiderDroppings = (files: string[]) => files.filter((f) => f.startsWith('.aider') || f === '.gitignore');

describe('the real aider, end to end', () => {
  it('a 2-checkpoint build from `nightshift start`: aider applies whole-file edits, never commits itself, 2 commits, tokens and cost as the provider reported them', async () => {
    // Token counts aider prints exactly ("8.0k") and costs it prints exactly ("$0.0018"): it rounds both.
    const usage: Record<string, TurnUsage> = { '1': { prompt_tokens: 8000, completion_tokens: 1000 }, '2': { prompt_tokens: 6000, completion_tokens: 2000 } };
    const words: Record<string, string> = { '1': 'one', '2': 'two' };
    const api = await endpoint((r): Reply => {
      const cp = checkpointOf(r);
      const word = words[cp] ?? 'unexpected';
      return {
        text: `${wholeFile(`work/${word}.txt`, word)}\n\nDEVNOTE decision: checkpoint ${cp} was written by aider's whole-file edit, which is the edit format aider picked for this model and which this long line would have wrapped at 80 columns\nCheckpoint ${cp} is done.`,
        ...(usage[cp] ? { usage: usage[cp] } : {}),
      };
    });
    const repo = makeRepo();
    const planFile = writeJson(join(tempDir('plan'), 'plan.json'), verifiedPlan('Aider builds', [
      { title: 'Write one', verify: 'grep -qx one work/one.txt' },
      { title: 'Write two', verify: 'grep -qx two work/two.txt' },
    ]));
    const name = label('build');
    const taskQueue = env.taskQueue();
    const { worker, home } = await aiderWorker(taskQueue);
    const envFlags = Object.entries(aiderAgentEnv(aiderHome(), api.baseUrl)).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const run = await worker.runUntil(
      nightshift(
        ['start', '--plan', planFile, '--repo', repo, '--label', name, '--agent', 'aider', '--agent-bin', aiderBin(), '--model', AIDER_TEST_MODEL, ...envFlags, '--retry-interval', '1s', '--wait', '--json'],
        { NIGHTSHIFT_TASK_QUEUE: taskQueue },
      ),
    );
    if (run.code !== 0) throw new Error(`nightshift start exited ${run.code}: ${run.stderr}\n${run.stdout}`);
    const out = JSON.parse(run.stdout) as { status: { status: string; spentUsd: number; tokens: unknown; sessions: number; lastOutput: string; devNotes: { content: string }[] } };
    expect(out.status).toMatchObject({ status: 'completed', sessions: 2, lastOutput: 'Checkpoint 2 is done.' });
    // Exactly Nightshift's two commits: aider made none of its own.
    expect(branchSubjects(repo, name)).toEqual(['checkpoint-2: Write two', 'checkpoint-1: Write one']);
    expect(gitIn(repo, 'show', `nightshift/${name}:work/one.txt`)).toBe('one');
    expect(gitIn(repo, 'show', `nightshift/${name}:work/two.txt`)).toBe('two');
    const committed = gitIn(repo, 'log', '--format=', '--name-only', `main..nightshift/${name}`).split('\n').filter(Boolean);
    expect(committed.sort()).toEqual(['work/one.txt', 'work/two.txt']);
    expect(aiderDroppings(readdirSync(join(home, 'workspaces', name)))).toEqual([]);
    // The DevNote arrives whole: aider ran with a wide console.
    expect(out.status.devNotes.map((n) => n.content)).toEqual([1, 2].map((cp) => `checkpoint ${cp} was written by aider's whole-file edit, which is the edit format aider picked for this model and which this long line would have wrapped at 80 columns`));
    // Aider wrote no placeholder identity into the repository's config (it has none of its own).
    expect(() => gitIn(repo, 'config', '--local', '--get', 'user.name')).toThrow();

    // One request per session, not streamed, so the usage is the provider's.
    expect(api.requests.map(checkpointOf)).toEqual(['1', '2']);
    expect(api.requests.every((r) => r.body.model === 'gpt-4o-mini' && !r.body.stream)).toBe(true);
    const results = await sessionResults(env.client.workflow.getHandle(`build-${name}`));
    expect(results.map((r) => r.usage)).toEqual(['1', '2'].map((cp) => ({ inputTokens: usage[cp]?.prompt_tokens, cachedInputTokens: 0, outputTokens: usage[cp]?.completion_tokens })));
    expect(results.map((r) => r.costUsd)).toEqual(['1', '2'].map((cp) => expect.closeTo(cost(usage[cp] as TurnUsage), 12)));
    expect(results.map((r) => r.model)).toEqual([AIDER_TEST_MODEL, AIDER_TEST_MODEL]);
    // The build's total is kept to 4 decimals.
    expect(out.status.spentUsd).toBeCloseTo(cost(usage['1'] as TurnUsage) + cost(usage['2'] as TurnUsage), 4);
    expect(out.status.tokens).toEqual({ inputTokens: 14000, outputTokens: 3000, cachedInputTokens: 0 });
  });

  it('a loop ends on the completion promise, one commit per session, no aider files committed', async () => {
    // Each session writes a new file: a reply naming a file already in the repo makes aider add it to
    // the chat and ask the model once more.
    const api = await endpoint((r): Reply => ({
      text: `${wholeFile(`notes/session-${r.n}.txt`, `session ${r.n}`)}\n\n${r.n === 1 ? 'wrote the routes' : '<promise>DONE</promise>\nwrote the tests, all green'}`,
    }));
    const repo = makeRepo();
    const taskQueue = env.taskQueue();
    const { worker } = await aiderWorker(taskQueue);
    const request = parseLoopRequest({
      taskName: label('loop'),
      task: 'Build a tiny todo API',
      repo,
      mode: 'lightweight',
      maxSessions: 4,
      agent: aiderAgent(api),
      policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '1m' },
    });
    const result = await worker.runUntil(async () => (await startLoop(env.client, request, { taskQueue })).result());
    expect(result).toMatchObject({ status: 'completed', sessions: 2, completion: { by: 'promise', session: 2 } });
    expect(gitIn(repo, 'log', '--format=%s').split('\n')).toEqual(['session-2: wrote the tests, all green', 'session-1: wrote the routes', 'initial']);
    expect(gitIn(repo, 'show', '--name-only', '--format=', 'HEAD')).toBe('notes/session-2.txt');
    expect(gitIn(repo, 'show', '--name-only', '--format=', 'HEAD~1')).toBe('notes/session-1.txt');
    expect(aiderDroppings(readdirSync(repo))).toEqual([]);
    expect(api.requests).toHaveLength(2);
  });

  it('`pause --now` kills aider mid-request; `resume` runs the task again from its prompt (aider sessions are not resumed) and finishes', async () => {
    const api = await endpoint((r): Reply => (r.n === 1 ? { fail: 'hang' } : { text: `${wholeFile('finished.txt', 'finished')}\n\nfinished after the pause` }));
    const repo = makeRepo();
    const name = label('pause');
    const taskQueue = env.taskQueue();
    const { worker } = await aiderWorker(taskQueue);
    const request = parseBuildRequest({
      label: name,
      repo,
      plan: verifiedPlan('Aider builds', [{ title: 'Finish', verify: 'test -f finished.txt' }]),
      agent: aiderAgent(api),
      policy: { maxAttempts: 2, retryInterval: '1s', stallTimeout: '2m' },
    });
    const cli = { NIGHTSHIFT_TASK_QUEUE: taskQueue };
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      await eventually(() => (api.requests.length >= 1 ? true : undefined), 30_000, 'aider to wait on its request');
      const paused = await nightshift(['pause', name, '--now'], cli);
      expect(paused.code).toBe(0);
      const view = await untilStatus(handle, (v) => v.status === 'paused', 'the build to pause');
      expect(view.attempts).toEqual([]);
      expect(api.requests).toHaveLength(1);
      const resumed = await nightshift(['resume', name], cli);
      expect(resumed.code).toBe(0);
      expect((await handle.result()).status).toBe('completed');
      expect((await handle.query(statusQuery)).lastOutput).toBe('finished after the pause');
    });
    expect(branchSubjects(repo, name)).toEqual(['checkpoint-1: Finish']);
    const [first, second] = api.requests as [RecordedRequest, RecordedRequest];
    // The same prompt again, in a fresh chat: nothing of the killed session carried over.
    expect(lastUserText(second)).toBe(lastUserText(first));
    expect(second.body.messages.filter((m) => m.role === 'assistant').length).toBe(first.body.messages.filter((m) => m.role === 'assistant').length);
  });

  it('a refused key (401; aider exits 0) goes to the person at once: awaiting-human (auth) after one session, the key variable in the message', async () => {
    const api = await endpoint([{ text: 'never reached' }]);
    const taskQueue = env.taskQueue();
    const { worker } = await aiderWorker(taskQueue, { OPENAI_API_KEY: 'a-wrong-key' });
    const request = parseBuildRequest({
      label: label('badkey'),
      repo: makeRepo(),
      plan: verifiedPlan('Aider builds', [{ title: 'Anything', verify: 'true' }]),
      agent: aiderAgent(api),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const view = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(view.reason).toBe('auth');
      expect(view.sessions).toBe(1);
      expect(view.lastError).toMatch(/litellm\.AuthenticationError.*Incorrect API key provided/);
      expect(view.waiting?.message).toContain('set OPENAI_API_KEY');
      await handle.cancel();
    });
    expect(api.requests).toHaveLength(1);
  });

  it('a missing key goes to the person at once, naming the variable aider found unset', async () => {
    const api = await endpoint([{ text: 'never reached' }]);
    const taskQueue = env.taskQueue();
    const { worker } = await aiderWorker(taskQueue, {});
    const request = parseBuildRequest({
      label: label('nokey'),
      repo: makeRepo(),
      plan: verifiedPlan('Aider builds', [{ title: 'Anything', verify: 'true' }]),
      agent: aiderAgent(api),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const view = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(view.reason).toBe('auth');
      expect(view.sessions).toBe(1);
      expect(view.waiting?.message).toContain('set OPENAI_API_KEY');
      await handle.cancel();
    });
    expect(api.requests).toHaveLength(0);
  });
});
