import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import { AGENT_CLI_PINS } from '../../src/agents/cliVersions';
import { statusQuery } from '../../src/workflows/build/messages';
import type { BuildStatusView } from '../../src/workflows/build/state';
import { claudeWrapper, sessionResults } from '../support/claudeHarness';
import { AnthropicEndpoint, toolsCalled, type RecordedRequest, type Reply, type TurnUsage } from '../support/endpoints/anthropic';
import { branchSubjects, gitIn, makeRepo, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { nightshift } from '../support/cli';

/**
 * The real Claude Code CLI (the pinned version the integration setup installs) driven by Nightshift
 * on the real dev server, talking to a scripted Anthropic endpoint on 127.0.0.1. claude's own tools
 * (Write, Bash, Read, Edit) change the worktree; the endpoint only decides what the model says.
 */

const MODEL = 'claude-sonnet-4-5';
/** Every scripted turn bills this; claude prices it itself (Sonnet 4.5: $3 in, $15 out, $0.30 cache read per MTok). */
const USAGE: TurnUsage = { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 2000 };
const TURN_USD = (1000 * 3 + 100 * 15 + 2000 * 0.3) / 1e6;

let env: TestEnv;
const endpoints: AnthropicEndpoint[] = [];
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
  await env.close();
});

async function endpoint(script: (request: RecordedRequest, self: AnthropicEndpoint) => Reply): Promise<AnthropicEndpoint> {
  const e: AnthropicEndpoint = await AnthropicEndpoint.start((request) => script(request, e));
  endpoints.push(e);
  return e;
}


/** Exit 0, or the failure with what the CLI said. */
const succeeded = (run: { code: number; stderr: string }) => expect({ code: run.code, stderr: run.stderr.slice(-1500) }).toMatchObject({ code: 0 });

const statusOf = async (label: string, taskQueue: string): Promise<BuildStatusView> => {
  const run = await nightshift(['status', label, '--json'], { NIGHTSHIFT_TASK_QUEUE: taskQueue });
  if (run.code !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as BuildStatusView;
};

/** The checkpoint a request works on, from the build prompt claude was given. */
const checkpointOf = (request: RecordedRequest): string | undefined => /## Checkpoint (\d+)/.exec(JSON.stringify(request.body.messages))?.[1];

let counter = 0;
function planFile(checkpoints: { verify: string[] }[]): string {
  return writeJson(join(tempDir('plan'), 'plan.json'), {
    title: 'Real claude plan',
    checkpoints: checkpoints.map((c, i) => ({
      id: i + 1,
      title: `Step ${i + 1}`,
      goal: `Do step ${i + 1}`,
      task_groups: [{ id: `${i + 1}.1`, title: `Group ${i + 1}.1`, tasks: [{ id: `${i + 1}.1.1`, description: `Write file ${i + 1}` }] }],
      testing_strategy: { verification_steps: c.verify },
    })),
  });
}

function startArgs(label: string, repo: string, plan: string, bin: string, extra: string[] = []): string[] {
  return ['start', '--plan', plan, '--repo', repo, '--label', label, '--agent', 'claude', '--agent-bin', bin, '--model', MODEL, '--retry-interval', '1s', ...extra];
}

const newLabel = (name: string) => `claude-${name}-${process.pid}-${++counter}-${Date.now() % 100000}`;

describe(`the real claude ${AGENT_CLI_PINS.claude.version}, end to end`, () => {
  it('a 2-checkpoint build: claude’s own tools write the files, verification passes, exactly 2 commits, cost and tokens recorded', async () => {
    let overloaded = false;
    let malformed = false;
    const api = await endpoint((r) => {
      const cwd = r.cwd ?? '.';
      const done = toolsCalled(r);
      if (checkpointOf(r) === '1') {
        // claude retries a 529 by itself: the session goes on.
        if (!overloaded) return (overloaded = true), { fail: 529 };
        if (!done.includes('Write')) return { text: 'Writing the first file.', tools: [{ name: 'Write', input: { file_path: `${cwd}/work/one.txt`, content: 'one\n' } }], usage: USAGE };
        if (!done.includes('Bash')) return { tools: [{ name: 'Bash', input: { command: 'echo "checkpoint 1" >> work/log.txt && ls work', description: 'Log progress' } }], usage: USAGE };
        return { text: 'DEVNOTE decision: kept one file per checkpoint\nCheckpoint 1 is done.', usage: USAGE };
      }
      if (!done.includes('Read')) return { tools: [{ name: 'Read', input: { file_path: `${cwd}/work/one.txt` } }], usage: USAGE };
      if (!done.includes('Edit')) return { tools: [{ name: 'Edit', input: { file_path: `${cwd}/work/one.txt`, old_string: 'one', new_string: 'one, edited' } }], usage: USAGE };
      // A body claude cannot read, streamed and then again without streaming (claude's fallback), ends the
      // session as an error; the retry resumes it.
      if (!malformed) {
        if (r.body.stream !== true) malformed = true;
        return { fail: 'malformed' };
      }
      if (!done.includes('Write')) return { tools: [{ name: 'Write', input: { file_path: `${cwd}/work/two.txt`, content: 'two\n' } }], usage: USAGE };
      return { text: 'Checkpoint 2 is done.', usage: USAGE };
    });
    const repo = makeRepo();
    const label = newLabel('build');
    const plan = planFile([{ verify: ['grep -qx one work/one.txt', 'grep -q "checkpoint 1" work/log.txt'] }, { verify: ['grep -qx "one, edited" work/one.txt', 'test -f work/two.txt'] }]);
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const bin = claudeWrapper(api);
    // acceptEdits with the tools allowed: works as root, unlike bypassPermissions.
    const run = await worker.runUntil(
      nightshift(startArgs(label, repo, plan, bin, ['--permission-mode', 'acceptEdits', '--allowed-tools', 'Bash,Write,Edit,Read', '--wait', '--json']), { NIGHTSHIFT_TASK_QUEUE: taskQueue }),
    );
    succeeded(run);
    const view = (JSON.parse(run.stdout) as { status: BuildStatusView }).status;
    expect(view.status).toBe('completed');
    expect(branchSubjects(repo, label)).toEqual(['checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
    expect(gitIn(repo, 'show', `nightshift/${label}:work/one.txt`)).toBe('one, edited');
    expect(gitIn(repo, 'show', `nightshift/${label}:work/two.txt`)).toBe('two');
    expect(gitIn(repo, 'show', `nightshift/${label}~1:work/log.txt`)).toBe('checkpoint 1');
    expect(view.devNotes).toContainEqual(expect.objectContaining({ category: 'decision', content: 'kept one file per checkpoint' }));
    expect(view.attempts).toEqual([expect.objectContaining({ outcome: 'failed', error: expect.stringMatching(/API Error: (Failed to parse JSON|API returned an empty or malformed response)/) })]);

    // Every request went to the scripted model with the build's model; claude priced what it was told it used.
    expect(new Set(api.requests.map((r) => r.body.model))).toEqual(new Set([MODEL]));
    expect(api.served).toHaveLength(7);
    expect(view.spentUsd).toBeCloseTo(7 * TURN_USD, 6);
    const sessions = await sessionResults(env.client.workflow.getHandle(view.workflowId));
    expect(sessions.map((s) => s.failureClass)).toEqual([null, 'transient', null]);
    const tokens = sessions.reduce((t, s) => ({ input: t.input + (s.usage?.inputTokens ?? 0), output: t.output + (s.usage?.outputTokens ?? 0), cached: t.cached + (s.usage?.cachedInputTokens ?? 0) }), { input: 0, output: 0, cached: 0 });
    expect(tokens).toEqual({ input: 7 * 3000, output: 7 * 100, cached: 7 * 2000 });
    // The build keeps the same totals, failed session included (status shows them next to the cost).
    expect(view.tokens).toEqual({ inputTokens: 7 * 3000, outputTokens: 7 * 100, cachedInputTokens: 7 * 2000 });
    // The retry resumed the same claude session: same id, earlier turns carried.
    const cp2 = api.requests.filter((r) => checkpointOf(r) === '2');
    expect(new Set(cp2.map((r) => r.sessionId)).size).toBe(1);
    expect(JSON.stringify(cp2.at(-1)?.body.messages)).toContain('one, edited');
  });

  it('a loop ends on the promise (bypassPermissions, allowed as root with IS_SANDBOX=1)', async () => {
    const api = await endpoint((r, self) => {
      const session = self.sessionNumber(r);
      if (session === 1) {
        if (toolsCalled(r).length === 0) return { tools: [{ name: 'Bash', input: { command: 'echo "routes" >> notes.txt', description: 'Write notes' } }], usage: USAGE };
        return { text: 'Wrote the routes; tests next.', usage: USAGE };
      }
      if (toolsCalled(r).length === 0) return { tools: [{ name: 'Bash', input: { command: 'echo "tests" >> notes.txt', description: 'Write notes' } }], usage: USAGE };
      return { text: 'All tests pass.\n<promise>DONE</promise>', usage: USAGE };
    });
    const repo = makeRepo();
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const request = parseLoopRequest({
      taskName: newLabel('loop'),
      task: 'Build a tiny todo API',
      repo,
      mode: 'lightweight',
      maxSessions: 4,
      agent: { kind: 'claude', bin: claudeWrapper(api, { sandbox: true }), model: MODEL, permissionMode: 'bypassPermissions' },
      policy: { maxAttempts: 2, retryInterval: '1s', stallTimeout: '1m' },
    });
    const result = await worker.runUntil(async () => (await startLoop(env.client, request, { taskQueue })).result());
    expect(result).toMatchObject({ status: 'completed', sessions: 2, completion: { by: 'promise', session: 2 } });
    expect(readFileSync(join(repo, 'notes.txt'), 'utf8')).toBe('routes\ntests\n');
    expect(gitIn(repo, 'log', '--format=%s').split('\n')).toEqual([expect.stringMatching(/^session-2: /), expect.stringMatching(/^session-1: /), 'initial']);
    expect(new Set(api.requests.map((r) => r.sessionId)).size).toBe(2);
  });

  it('pause --now stops claude mid-stream; resume continues the same claude session with its earlier turns', async () => {
    let hung = false;
    const api = await endpoint((r) => {
      const done = toolsCalled(r);
      if (!done.includes('Write')) return { tools: [{ name: 'Write', input: { file_path: `${r.cwd}/work/a.txt`, content: 'before the pause\n' } }], usage: USAGE };
      // The first time, the model never answers: a stream that hangs until the person steps in.
      if (!hung) return (hung = true), { fail: 'hang' };
      if (!done.includes('Bash')) return { tools: [{ name: 'Bash', input: { command: 'echo "after the resume" >> work/a.txt', description: 'Append' } }], usage: USAGE };
      return { text: 'Finished after the resume.', usage: USAGE };
    });
    const repo = makeRepo();
    const label = newLabel('pause');
    const plan = planFile([{ verify: ['grep -q "after the resume" work/a.txt'] }]);
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const bin = claudeWrapper(api, { sandbox: true });
    const q = { NIGHTSHIFT_TASK_QUEUE: taskQueue };
    await worker.runUntil(async () => {
      const started = await nightshift(startArgs(label, repo, plan, bin, ['--permission-mode', 'bypassPermissions']), q);
      succeeded(started);
      await eventually(() => (hung ? true : undefined), 60_000, 'claude to wait on the hanging stream');
      succeeded(await nightshift(['pause', label, '--now'], q));
      const paused = await eventually(async () => {
        const v = await statusOf(label, taskQueue);
        return v.status === 'paused' ? v : undefined;
      }, 30_000, 'the build to pause');
      expect(paused.sessions).toBe(1);
      succeeded(await nightshift(['resume', label], q));
      const handle = env.client.workflow.getHandle(paused.workflowId);
      expect((await handle.result()).status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.sessions).toBe(2);
    });
    expect(branchSubjects(repo, label)).toEqual(['checkpoint-1: Step 1']);
    expect(gitIn(repo, 'show', `nightshift/${label}:work/a.txt`)).toBe('before the pause\nafter the resume');
    const first = api.requests[0] as RecordedRequest;
    const resumed = api.requests.filter((r) => r.n > 2);
    expect(resumed.length).toBeGreaterThan(0);
    // Same claude session, and the model saw the turn from before the pause (its tool call and result).
    for (const r of resumed) expect(r.sessionId).toBe(first.sessionId);
    expect(JSON.stringify(resumed[0]?.body.messages)).toContain('toolu_scripted_1_0');
    expect(JSON.stringify(resumed[0]?.body.messages)).toContain('before the pause');
  });

  it('a resume whose claude session is not there (another machine) starts a fresh session, and the build completes', async () => {
    let broken = false;
    const api = await endpoint((r) => {
      const done = toolsCalled(r);
      if (!done.includes('Write')) return { tools: [{ name: 'Write', input: { file_path: `${r.cwd}/work/b.txt`, content: 'b\n' } }], usage: USAGE };
      // The first session ends on a body claude cannot read, so the retry resumes it.
      if (!broken) {
        if (r.body.stream !== true) broken = true;
        return { fail: 'malformed' };
      }
      return { text: 'Done in a fresh session.', usage: USAGE };
    });
    const repo = makeRepo();
    const label = newLabel('gone');
    const taskQueue = env.taskQueue();
    const { worker, home } = await env.worker({ taskQueue });
    const bin = claudeWrapper(api, { homePerRun: true });
    const run = await worker.runUntil(
      nightshift(startArgs(label, repo, planFile([{ verify: ['test -f work/b.txt'] }]), bin, ['--permission-mode', 'acceptEdits', '--allowed-tools', 'Write', '--wait', '--json']), { NIGHTSHIFT_TASK_QUEUE: taskQueue }),
    );
    succeeded(run);
    const view = (JSON.parse(run.stdout) as { status: BuildStatusView }).status;
    expect(view.sessions).toBe(3);
    expect(view.attempts.map((a) => a.error)).toEqual([expect.stringContaining('API Error'), expect.stringContaining('No conversation found with session ID')]);
    const argv = (n: number) => readFileSync(join(home, 'builds', label, 'sessions', `session-00${n}.log`), 'utf8').split('\n').find((l) => l.startsWith('# argv: ')) ?? '';
    const first = /"--session-id","([^"]+)"/.exec(argv(1))?.[1];
    expect(argv(2)).toContain(`"--resume","${first}"`);
    // The gone session is forgotten: the third starts afresh, with a new id, from the build's prompt.
    const third = /"--session-id","([^"]+)"/.exec(argv(3))?.[1];
    expect(third).toBeDefined();
    expect(third).not.toBe(first);
    const fresh = api.requests.filter((r) => r.sessionId === third);
    expect(toolsCalled(fresh[0] as RecordedRequest)).toEqual([]);
    expect(branchSubjects(repo, label)).toEqual(['checkpoint-1: Step 1']);
  });

  it('a refused key and a missing key go to the person at once: awaiting-human, reason auth, one session, the fix in status', async () => {
    const refusing = await endpoint(() => ({ fail: 401 }));
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const q = { NIGHTSHIFT_TASK_QUEUE: taskQueue };
    const cases = [
      { label: newLabel('badkey'), bin: claudeWrapper(refusing), said: 'API error 401' },
      { label: newLabel('nokey'), bin: claudeWrapper(refusing, { apiKey: null }), said: 'Not logged in' },
    ];
    const plan = planFile([{ verify: ['true'] }]);
    await worker.runUntil(async () => {
      for (const c of cases) {
        const run = await nightshift(startArgs(c.label, makeRepo(), plan, c.bin, ['--permission-mode', 'acceptEdits', '--max-attempts', '3']), q);
        succeeded(run);
      }
      for (const c of cases) {
        const view = await eventually(async () => {
          const v = await statusOf(c.label, taskQueue);
          return v.status === 'awaiting-human' ? v : undefined;
        }, 60_000, `${c.label} to wait for a person`);
        expect(view.reason).toBe('auth');
        expect(view.sessions).toBe(1);
        expect(view.waiting?.message).toContain(c.said);
        expect(view.waiting?.message).toContain('run `claude /login` on the worker, or set ANTHROPIC_API_KEY');
        await env.client.workflow.getHandle(view.workflowId).cancel();
      }
    });
    // The missing key never reached the endpoint; the refused one stopped at claude's second retry, not its tenth.
    expect(refusing.requests.length).toBeLessThanOrEqual(4);
  });

  it('a 429 parks the build (rate-limited, no attempt spent) and it completes after the wait', async () => {
    let limited = false;
    const api = await endpoint((r) => {
      // A long retry-after: claude gives up at once instead of retrying.
      if (!limited) return (limited = true), { fail: 429, retryAfterSeconds: 3600 };
      if (toolsCalled(r).length === 0) return { tools: [{ name: 'Bash', input: { command: 'mkdir -p work && echo ok > work/done.txt', description: 'Work' } }], usage: USAGE };
      return { text: 'Done after the limit.', usage: USAGE };
    });
    const repo = makeRepo();
    const label = newLabel('limit');
    const plan = planFile([{ verify: ['test -f work/done.txt'] }]);
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const q = { NIGHTSHIFT_TASK_QUEUE: taskQueue };
    await worker.runUntil(async () => {
      // claude prints no reset time for an API-key 429, so the build waits the retry interval.
      const run = await nightshift(startArgs(label, repo, plan, claudeWrapper(api), ['--permission-mode', 'acceptEdits', '--allowed-tools', 'Bash', '--retry-interval', '4s']), q);
      succeeded(run);
      const parked = await eventually(async () => {
        const v = await statusOf(label, taskQueue);
        return v.status === 'rate-limited' ? v : undefined;
      }, 60_000, 'the build to park on the limit');
      expect(parked.reason).toBe('rate-limited');
      expect(parked.waiting?.message).toMatch(/usage limit resets at/);
      expect(parked.checkpoints[0]?.taskGroups[0]?.attempts).toBe(0);
      const handle = env.client.workflow.getHandle(parked.workflowId);
      expect((await handle.result()).status).toBe('completed');
      expect((await handle.query(statusQuery)).attempts.map((a) => a.outcome)).toEqual(['rate-limited']);
    });
    expect(branchSubjects(repo, label)).toEqual(['checkpoint-1: Step 1']);
  });
});
