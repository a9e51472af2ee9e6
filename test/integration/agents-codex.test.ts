import { bwrapAvailable } from '../../src/activities/session/sandboxSetup';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import type { AgentSpec } from '../../src/model/request';
import { retryUpdate, statusQuery } from '../../src/workflows/build/messages';
import { untilStatus } from '../support/builds';
import { CODEX_KEY_VAR, CODEX_TEST_MODEL, codexAgentEnv, codexBin, codexHome, removeCodexHomes } from '../support/codexHome';
import {
  DEFAULT_USAGE,
  lastUserText,
  OpenAIResponsesEndpoint,
  toolNames,
  toolOutputsSincePrompt,
  type RecordedRequest,
  type Reply,
  type Script,
  type TurnUsage,
  userTexts,
} from '../support/endpoints/openaiResponses';
import { branchSubjects, gitIn, makeRepo, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { nightshift, sessionResults, verifiedPlan } from '../support/cli';

/**
 * The real codex CLI (the pinned version the global setup installs) driven by Nightshift on the real
 * dev server, talking to a scripted Responses endpoint on 127.0.0.1: codex's own tools write the
 * files, Nightshift verifies and commits.
 */

const KEY = 'scripted-key-for-tests';

let env: TestEnv;
const endpoints: OpenAIResponsesEndpoint[] = [];
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});
afterAll(async () => {
  removeCodexHomes();
  await env.close();
});

async function endpoint(script: Script): Promise<OpenAIResponsesEndpoint> {
  const e = await OpenAIResponsesEndpoint.start(script, { apiKey: KEY });
  endpoints.push(e);
  return e;
}

/** A worker whose agents get the API key from the worker side, as a secret must (never in the request). */
async function codexWorker(taskQueue: string, agentEnv: Record<string, string> = { [CODEX_KEY_VAR]: KEY }): Promise<{ worker: Worker; home: string }> {
  return env.worker({ taskQueue, agentEnv });
}

function codexAgent(codexHomeDir: string): AgentSpec {
  return { kind: 'codex', bin: codexBin(), model: CODEX_TEST_MODEL, autoApprove: true, env: codexAgentEnv(codexHomeDir) };
}

let counter = 0;
const label = (name: string) => `codex-${name}-${process.pid}-${++counter}-${Date.now() % 100000}`;




/** gpt-5.5 is priced as gpt-5: $1.25/M input, $0.125/M cached input, $10/M output. */
function gpt5Cost(usages: TurnUsage[]): number {
  const input = usages.reduce((n, u) => n + u.input_tokens, 0);
  const cached = usages.reduce((n, u) => n + (u.cached_tokens ?? 0), 0);
  const output = usages.reduce((n, u) => n + u.output_tokens, 0);
  return ((input - cached) * 1.25 + cached * 0.125 + output * 10) / 1e6;
}

const metadata = (r: RecordedRequest) => JSON.parse(String(r.headers['x-codex-turn-metadata'] ?? '{}')) as { sandbox_mode?: string };
const checkpointOf = (r: RecordedRequest) => /## Checkpoint (\d+)/.exec(lastUserText(r))?.[1] ?? '?';

describe('the real codex CLI, end to end', () => {
  it('a 2-checkpoint build from `nightshift start`: codex\'s own tools write the files, failed verifications are fixed (the second fix resumes the thread), 2 commits, cost and tokens counted once', async () => {
    // Keyed by checkpoint, thread and round. Checkpoint 1: the first session writes the wrong word;
    // the first fix session starts a fresh thread (the task group was done) and is wrong again; the
    // second fix resumes that thread (`exec resume`, round 2), whose usage codex reports as the
    // thread's total, round 1 included.
    const usage: Record<string, [TurnUsage, TurnUsage]> = {
      '1.1.1': [{ input_tokens: 1200, cached_tokens: 200, output_tokens: 80 }, { input_tokens: 1500, cached_tokens: 1000, output_tokens: 40 }],
      '1.2.1': [{ input_tokens: 1300, cached_tokens: 0, output_tokens: 90 }, { input_tokens: 1700, cached_tokens: 1200, output_tokens: 50 }],
      '1.2.2': [{ input_tokens: 3100, cached_tokens: 2500, output_tokens: 70 }, { input_tokens: 3400, cached_tokens: 3000, output_tokens: 30 }],
      '2.1.1': [{ input_tokens: 2200, cached_tokens: 0, output_tokens: 150 }, { input_tokens: 2600, cached_tokens: 2000, output_tokens: 60 }],
    };
    const actions: Record<string, Reply> = {
      '1.1.1': { calls: [{ patch: '*** Begin Patch\n*** Add File: work/one.txt\n+uno\n*** End Patch\n' }] },
      '1.2.1': { calls: [{ exec: "printf 'dos\\n' > work/one.txt" }] },
      '1.2.2': { calls: [{ patch: '*** Begin Patch\n*** Update File: work/one.txt\n@@\n-dos\n+one\n*** End Patch\n' }] },
      '2.1.1': { calls: [{ exec: "mkdir -p bin && printf '#!/bin/sh\\necho hello\\n' > bin/hello.sh && chmod +x bin/hello.sh" }] },
    };
    // Codex names its thread in every request (`session-id`); a resumed thread carries every prompt it had.
    const threads: Record<string, string[]> = {};
    const keyOf = (r: RecordedRequest) => {
      const cp = checkpointOf(r);
      const seen = (threads[cp] ??= []);
      const thread = String(r.headers['session-id']);
      if (!seen.includes(thread)) seen.push(thread);
      return `${cp}.${seen.indexOf(thread) + 1}.${userTexts(r).filter((t) => t.includes('## Checkpoint')).length}`;
    };
    const api = await endpoint((r): Reply => {
      const key = keyOf(r);
      const [first, second] = usage[key] ?? [undefined, undefined];
      if (toolOutputsSincePrompt(r) > 0) return { text: `DEVNOTE decision: ${key} was written by codex's own tools\nRound ${key} is done.`, ...(second ? { usage: second } : {}) };
      return { ...(actions[key] ?? { text: `unexpected ${key}` }), ...(first ? { usage: first } : {}) };
    });
    const home = codexHome(api.baseUrl);
    const repo = makeRepo();
    const planFile = writeJson(join(tempDir('plan'), 'plan.json'), verifiedPlan('Codex builds', [
      { title: 'Write one', verify: 'grep -qx one work/one.txt' },
      { title: 'Add a hello script', verify: './bin/hello.sh | grep -qx hello' },
    ]));
    const name = label('build');
    const taskQueue = env.taskQueue();
    const { worker } = await codexWorker(taskQueue);
    const agentEnvFlags = Object.entries(codexAgentEnv(home)).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const run = await worker.runUntil(
      nightshift(
        ['start', '--plan', planFile, '--repo', repo, '--label', name, '--agent', 'codex', '--agent-bin', codexBin(), '--model', CODEX_TEST_MODEL, '--auto-approve', ...agentEnvFlags, '--retry-interval', '1s', '--wait', '--json'],
        { NIGHTSHIFT_TASK_QUEUE: taskQueue },
      ),
    );
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { status: { status: string; spentUsd: number; devNotes: { category: string; content: string }[]; sessions: number } };
    expect(out.status.status).toBe('completed');
    expect(out.status.sessions).toBe(4);
    expect(branchSubjects(repo, name)).toEqual(['checkpoint-2: Add a hello script', 'checkpoint-1: Write one']);
    expect(gitIn(repo, 'show', `nightshift/${name}:work/one.txt`)).toBe('one');
    expect(gitIn(repo, 'show', `nightshift/${name}:bin/hello.sh`)).toContain('echo hello');
    expect(out.status.devNotes.map((n) => n.content)).toEqual(expect.arrayContaining(["1.2.2 was written by codex's own tools", "2.1.1 was written by codex's own tools"]));

    // Two requests per session; codex ran in a writable sandbox and was offered its own tools.
    expect(api.requests.map(keyOf)).toEqual(['1.1.1', '1.1.1', '1.2.1', '1.2.1', '1.2.2', '1.2.2', '2.1.1', '2.1.1']);
    // Inside Nightshift's bwrap sandbox codex's own is off (it cannot start there): docs/security.md.
    const contained = process.env.NIGHTSHIFT_SANDBOX !== 'none' && !('problem' in (await bwrapAvailable()));
    for (const r of api.requests) expect(metadata(r).sandbox_mode).toBe(contained ? 'danger-full-access' : 'workspace-write');
    expect(toolNames(api.requests[0] as RecordedRequest)).toEqual(expect.arrayContaining(['exec_command', 'apply_patch']));
    // The second fix resumed the first fix's thread: it carried that session's command.
    expect(JSON.stringify(api.requests[4]?.body.input)).toContain("printf 'dos");

    // Cost and tokens: each session's own two responses, priced as gpt-5, counted once.
    const results = await sessionResults(env.client.workflow.getHandle(`build-${name}`));
    const sum = (key: string) => {
      const [a, b] = usage[key] as [TurnUsage, TurnUsage];
      return { inputTokens: a.input_tokens + b.input_tokens, cachedInputTokens: (a.cached_tokens ?? 0) + (b.cached_tokens ?? 0), outputTokens: a.output_tokens + b.output_tokens };
    };
    const keys = ['1.1.1', '1.2.1', '1.2.2', '2.1.1'];
    expect(results.map((r) => r.usage)).toEqual(keys.map(sum));
    expect(results.map((r) => r.costUsd)).toEqual(keys.map((k) => expect.closeTo(gpt5Cost(usage[k] ?? []), 12)));
    // The build's total is kept to 4 decimals.
    expect(out.status.spentUsd).toBeCloseTo(gpt5Cost(Object.values(usage).flat()), 4);
  });

  it('a loop ends on the completion promise, one commit per session', async () => {
    let sessions = 0;
    const api = await endpoint((r): Reply => {
      if (toolOutputsSincePrompt(r) === 0) {
        sessions += 1;
        return { calls: [{ exec: `echo 'session ${sessions}' >> notes.txt` }] };
      }
      return sessions === 1 ? { text: 'wrote the routes' } : { text: '<promise>DONE</promise>\nwrote the tests, all green' };
    });
    const home = codexHome(api.baseUrl);
    const repo = makeRepo();
    const taskQueue = env.taskQueue();
    const { worker } = await codexWorker(taskQueue);
    const request = parseLoopRequest({
      taskName: label('loop'),
      task: 'Build a tiny todo API',
      repo,
      mode: 'lightweight',
      maxSessions: 4,
      agent: codexAgent(home),
      policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '1m' },
    });
    const result = await worker.runUntil(async () => (await startLoop(env.client, request, { taskQueue })).result());
    expect(result).toMatchObject({ status: 'completed', sessions: 2, completion: { by: 'promise', session: 2 } });
    expect(readFileSync(join(repo, 'notes.txt'), 'utf8')).toBe('session 1\nsession 2\n');
    expect(gitIn(repo, 'log', '--format=%s').split('\n')).toEqual(['session-2: wrote the tests, all green', 'session-1: wrote the routes', 'initial']);
    expect(api.requests).toHaveLength(4);
  });

  it('`pause --now` kills codex mid-session; `resume` continues the same thread (`codex exec resume`), which carries the earlier turns', async () => {
    const api = await endpoint((r): Reply => {
      if (r.n === 1) return { calls: [{ exec: 'echo started > started.txt' }] };
      // Codex waits for this answer until `pause --now` kills it.
      if (r.n === 2) return { fail: 'hang' };
      if (toolOutputsSincePrompt(r) === 0) return { calls: [{ exec: 'echo finished > finished.txt' }] };
      return { text: 'finished after the pause' };
    });
    const home = codexHome(api.baseUrl, { idleTimeoutMs: 120_000 });
    const repo = makeRepo();
    const name = label('pause');
    const taskQueue = env.taskQueue();
    const { worker } = await codexWorker(taskQueue);
    const request = parseBuildRequest({
      label: name,
      repo,
      plan: verifiedPlan('Codex builds', [{ title: 'Start and finish', verify: 'test -f started.txt && test -f finished.txt' }]),
      agent: codexAgent(home),
      policy: { maxAttempts: 2, retryInterval: '1s', stallTimeout: '2m' },
    });
    const cli = { NIGHTSHIFT_TASK_QUEUE: taskQueue };
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      await eventually(() => (api.requests.length >= 2 ? true : undefined), 30_000, 'codex to wait on its second request');
      const paused = await nightshift(['pause', name, '--now'], cli);
      expect(paused.code).toBe(0);
      await untilStatus(handle, (v) => v.status === 'paused', 'the build to pause');
      expect(api.requests).toHaveLength(2);
      const resumed = await nightshift(['resume', name], cli);
      expect(resumed.code).toBe(0);
      expect((await handle.result()).status).toBe('completed');
      expect((await handle.query(statusQuery)).lastOutput).toBe('finished after the pause');
      // The cancelled session never reported its tokens; the resumed one reports the thread's total,
      // which includes the response codex got before the pause: spent, so counted, once.
      const [resumedResult] = await sessionResults(handle);
      expect(resumedResult?.usage).toEqual({ inputTokens: 3000, cachedInputTokens: 0, outputTokens: 300 });
      expect(resumedResult?.costUsd).toBeCloseTo(gpt5Cost([DEFAULT_USAGE, DEFAULT_USAGE, DEFAULT_USAGE]), 12);
    });
    expect(branchSubjects(repo, name)).toEqual(['checkpoint-1: Start and finish']);
    const [first, , third] = api.requests as [RecordedRequest, RecordedRequest, RecordedRequest];
    // The same codex thread, and the model saw the command it ran before the pause.
    expect(third.headers['session-id']).toBe(first.headers['session-id']);
    expect(JSON.stringify(third.body.input)).toContain('echo started > started.txt');
    expect(third.body.input.filter((i) => i.type === 'function_call_output')).toHaveLength(1);
  });

  it('a refused key goes to the person at once: awaiting-human (auth) after one session, `codex login` in the message', async () => {
    const api = await endpoint([{ text: 'never reached' }]);
    const home = codexHome(api.baseUrl);
    const taskQueue = env.taskQueue();
    const { worker } = await codexWorker(taskQueue, { [CODEX_KEY_VAR]: 'a-wrong-key' });
    const request = parseBuildRequest({
      label: label('badkey'),
      repo: makeRepo(),
      plan: verifiedPlan('Codex builds', [{ title: 'Anything', verify: 'true' }]),
      agent: codexAgent(home),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const view = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(view.reason).toBe('auth');
      expect(view.sessions).toBe(1);
      expect(view.waiting?.message).toMatch(/codex login/);
      expect(view.lastError).toMatch(/401 Unauthorized/);
      await handle.cancel();
    });
    expect(api.requests).toHaveLength(1);
  });

  it('a missing key goes to the person at once, naming the variable to set', async () => {
    const api = await endpoint([{ text: 'never reached' }]);
    const home = codexHome(api.baseUrl);
    const taskQueue = env.taskQueue();
    const { worker, home: nsHome } = await codexWorker(taskQueue, {});
    const request = parseBuildRequest({
      label: label('nokey'),
      repo: makeRepo(),
      plan: verifiedPlan('Codex builds', [{ title: 'Anything', verify: 'true' }]),
      agent: codexAgent(home),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const view = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(view.reason).toBe('auth');
      expect(view.sessions).toBe(1);
      expect(view.waiting?.message).toContain(CODEX_KEY_VAR);
      // The notification carries the fix too.
      const note = await eventually(() => {
        const text = existsSync(join(nsHome, 'notifications.log')) ? readFileSync(join(nsHome, 'notifications.log'), 'utf8') : '';
        return text.includes('(auth)') ? text : undefined;
      }, 10_000, 'the notification');
      expect(note).toContain(`give the worker that variable`);
      expect(note).toContain(CODEX_KEY_VAR);
      await handle.cancel();
    });
    expect(api.requests).toHaveLength(0);
  });

  it('without any login (the built-in provider, no `codex login`) the 401 goes to the person at once; the fix it names works', async () => {
    const api = await endpoint((r): Reply => (toolOutputsSincePrompt(r) === 0 ? { calls: [{ exec: 'echo in > logged-in.txt' }] } : { text: 'logged in at last' }));
    const home = codexHome(api.baseUrl, { provider: 'builtin' });
    const taskQueue = env.taskQueue();
    const request = parseBuildRequest({
      label: label('nologin'),
      repo: makeRepo(),
      plan: verifiedPlan('Codex builds', [{ title: 'Anything', verify: 'test -f logged-in.txt' }]),
      agent: codexAgent(home),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    const first = await codexWorker(taskQueue, {});
    const handle = await first.worker.runUntil(async () => {
      const h = await startBuild(env.client, request, { taskQueue });
      const view = await untilStatus(h, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(view.reason).toBe('auth');
      expect(view.sessions).toBe(1);
      expect(view.waiting?.message).toMatch(/codex login/);
      expect(view.waiting?.message).toContain('CODEX_API_KEY');
      return h;
    });
    // Codex retried on its own, never with a key; Nightshift ran it once.
    expect(api.requests.length).toBeGreaterThan(0);
    expect(api.requests.every((r) => r.headers.authorization === undefined)).toBe(true);

    // The person does what the message says: the worker gets CODEX_API_KEY, then `retry`.
    const fixed = await codexWorker(taskQueue, { CODEX_API_KEY: KEY });
    await fixed.worker.runUntil(async () => {
      await handle.executeUpdate(retryUpdate);
      expect((await handle.result()).status).toBe('completed');
    });
    expect(api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('a 429 without a reset time parks for the retry interval; a hung and a malformed stream are failed attempts; then it finishes', async () => {
    const api = await endpoint((r): Reply => {
      if (r.n === 1) return { fail: 429, retryAfterSeconds: 1 };
      if (r.n === 2) return { fail: 'hang' };
      if (r.n === 3) return { fail: 'malformed' };
      if (toolOutputsSincePrompt(r) === 0) return { calls: [{ exec: 'echo ok > ok.txt' }] };
      return { text: 'finished' };
    });
    const home = codexHome(api.baseUrl, { idleTimeoutMs: 1500 });
    const taskQueue = env.taskQueue();
    const { worker } = await codexWorker(taskQueue);
    const request = parseBuildRequest({
      label: label('flaky'),
      repo: makeRepo(),
      plan: verifiedPlan('Codex builds', [{ title: 'Through the failures', verify: 'test -f ok.txt' }]),
      agent: codexAgent(home),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      expect((await handle.result()).status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.attempts.map((a) => a.outcome)).toEqual(['rate-limited', 'failed', 'failed']);
      expect(view.attempts[0]?.error).toMatch(/429 Too Many Requests/);
      expect(view.attempts[1]?.error).toMatch(/idle timeout/);
      expect(view.attempts[2]?.error).toMatch(/stream/);
      expect(view.sessions).toBe(4);
    });
    // Every retry resumed the one thread.
    expect(new Set(api.requests.map((r) => r.headers['session-id'])).size).toBe(1);
  });

  it('a usage limit parks the build until codex\'s reset time without spending an attempt; retry resumes the same thread', async () => {
    const api = await endpoint((r): Reply => {
      if (r.n === 1) return { fail: 'usage-limit', resetsInSeconds: 2 * 3600 };
      if (toolOutputsSincePrompt(r) === 0) return { calls: [{ exec: 'echo done > done.txt' }] };
      return { text: 'done after the limit' };
    });
    const home = codexHome(api.baseUrl);
    const taskQueue = env.taskQueue();
    const { worker } = await codexWorker(taskQueue);
    const request = parseBuildRequest({
      label: label('limit'),
      repo: makeRepo(),
      plan: verifiedPlan('Codex builds', [{ title: 'After the limit', verify: 'test -f done.txt' }]),
      agent: codexAgent(home),
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const limitedAt = Date.now();
      const handle = await startBuild(env.client, request, { taskQueue });
      const parked = await untilStatus(handle, (v) => v.status === 'rate-limited', 'the build to park');
      expect(parked.reason).toBe('rate-limited');
      expect(parked.checkpoints[0]?.taskGroups[0]?.attempts).toBe(0);
      // Codex says "try again at 7:46 PM" (its minute, rounded down): parked until the minute after.
      const wakeAt = Date.parse(/resets at (\S+);/.exec(parked.waiting?.message ?? '')?.[1] ?? '');
      const reset = limitedAt + 2 * 3600_000;
      expect(wakeAt).toBeGreaterThanOrEqual(reset - 1000);
      expect(wakeAt).toBeLessThanOrEqual(reset + 121_000);
      await handle.executeUpdate(retryUpdate);
      expect((await handle.result()).status).toBe('completed');
      expect((await handle.query(statusQuery)).attempts.map((a) => a.outcome)).toEqual(['rate-limited']);
    });
    const [first, second] = api.requests as [RecordedRequest, RecordedRequest];
    expect(second.headers['session-id']).toBe(first.headers['session-id']);
  });

  it('an endpoint that is gone ends the session in seconds (no endless "waiting for network")', async () => {
    const api = await endpoint([]);
    const home = codexHome(api.baseUrl);
    await api.close();
    endpoints.splice(endpoints.indexOf(api), 1);
    const taskQueue = env.taskQueue();
    const { worker, home: nsHome } = await codexWorker(taskQueue);
    const name = label('offline');
    const request = parseBuildRequest({
      label: name,
      repo: makeRepo(),
      plan: verifiedPlan('Codex builds', [{ title: 'Anything', verify: 'true' }]),
      agent: codexAgent(home),
      policy: { maxAttempts: 1, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const view = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the failed session to reach the person', 60_000);
      expect(view.reason).toBe('escalated');
      expect(view.lastError).toMatch(/Connection failed/);
      await handle.cancel();
    });
    const transcript = readFileSync(join(nsHome, 'builds', name, 'sessions', 'session-001.log'), 'utf8');
    expect(transcript).not.toContain('waiting for network');
    expect(existsSync(join(nsHome, 'builds', name, 'sessions', 'session-002.log'))).toBe(false);
  });
});
