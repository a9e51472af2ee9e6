import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { schedule as scheduleCommand } from '../../src/client/commands/schedule';
import { loop as loopCommand } from '../../src/client/commands/loop';
import { continueLoop, listLoops, parseLoopRequest, startLoop } from '../../src/client/loops';
import { listLoopSchedules, scheduleRuns } from '../../src/client/schedules';
import { parseBuildLogEntries } from '../../src/model/buildLog';
import { ConflictError } from '../../src/model/errors';
import type { LoopRequestInput } from '../../src/model/loopRequest';
import { loopOverrideUpdate, loopRetryUpdate, loopStatusQuery } from '../../src/workflows/loop/messages';
import type { LoopStatusView } from '../../src/workflows/loop/state';
import { recordHistory } from '../support/histories';
import { gitIn, makeRepo, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

let counter = 0;

interface LoopFixture {
  taskName: string;
  repo: string;
  dir: string;
  taskQueue: string;
  worker: Worker;
  request(extra?: Partial<LoopRequestInput>): ReturnType<typeof parseLoopRequest>;
  files(...parts: string[]): string;
}

/** A fresh repo, a scripted-agent scenario, and a worker on its own task queue. */
async function fixture(
  name: string,
  scenario: unknown,
  workerOptions: { maxCachedWorkflows?: number } = {},
): Promise<LoopFixture> {
  const dir = tempDir('loop');
  const scenarioFile = writeJson(join(dir, 'scenario.json'), scenario);
  const repo = makeRepo();
  const taskName = `${name}-${process.pid}-${++counter}-${Date.now() % 100000}`;
  const taskQueue = env.taskQueue();
  const { worker } = await env.worker({ taskQueue, ...workerOptions });
  return {
    taskName,
    repo,
    dir,
    taskQueue,
    worker,
    request: (extra = {}) =>
      parseLoopRequest({
        taskName,
        task: 'Build a tiny todo API\n\nWith tests.',
        repo,
        agent: { kind: 'scripted', scenario: scenarioFile },
        policy: { maxAttempts: 2, retryInterval: '1s', stallTimeout: '1m' },
        ...extra,
      }),
    files: (...parts) => readFileSync(join(repo, '.autonomous', taskName, ...parts), 'utf8'),
  };
}

const subjects = (repo: string) => gitIn(repo, 'log', '--format=%s').split('\n').filter(Boolean);
const say = (line: string) => ({ print: line });
const work = (line: string) => [{ append: { path: 'notes.txt', content: `${line}\n` } }, say(line)];

describe('lightweight loops', () => {
  it('finishes when the promise appears in session 2 of 5, with one commit per session', async () => {
    const f = await fixture('light', {
      rules: [
        { when: { session: 1 }, do: work('wrote the routes') },
        {
          when: { session: 2 },
          do: [...work('wrote the tests'), say('<promise>DONE</promise>'), say('all green')],
        },
      ],
      otherwise: [say('should not run'), { exit: 9 }],
    });
    const result = await f.worker.runUntil(async () => {
      const handle = await startLoop(env.client, f.request({ mode: 'lightweight', maxSessions: 5 }), {
        taskQueue: f.taskQueue,
      });
      const done = await handle.result();
      await recordHistory(handle, 'loop-lightweight');
      return done;
    });
    expect(result).toMatchObject({
      status: 'completed',
      sessions: 2,
      completion: { by: 'promise', session: 2, verified: false },
      falseCompletionCount: 0,
    });
    expect(subjects(f.repo)).toEqual(['session-2: all green', 'session-1: wrote the routes', 'initial']);
    const body = gitIn(f.repo, 'log', '-1', '--format=%B');
    expect(body).toContain(`Nightshift-Loop: ${f.taskName}`);
    expect(body).toContain('Nightshift-Session: 2');
    expect(gitIn(f.repo, 'show', '--name-only', '--format=', 'HEAD~1')).toBe('notes.txt');
    // The loop's own files are on disk and never committed.
    expect(f.files('.mode').trim()).toBe('lightweight');
    expect(f.files('sessions', 'session-002.log')).toContain('<promise>DONE</promise>');
    expect(f.files('sessions', 'session-001.prompt.md')).toBe(f.files('sessions', 'session-002.prompt.md'));
    expect(f.files('progress.md').match(/^## Session \d+ — /gm)).toHaveLength(2);
    expect(existsSync(join(f.repo, '.autonomous', f.taskName, 'task_list.md'))).toBe(false);
    expect(gitIn(f.repo, 'status', '--porcelain')).toBe('');
    expect(gitIn(f.repo, 'log', '--all', '--format=', '--name-only')).not.toContain('.autonomous');
    expect(readFileSync(join(f.repo, '.git', 'info', 'exclude'), 'utf8')).toContain('.autonomous/');
  });

  it('stops as max-sessions-reached, not completed, when the work never completes', async () => {
    const f = await fixture('max', { rules: [], otherwise: work('one more step') });
    const result = await f.worker.runUntil(async () => {
      const handle = await startLoop(env.client, f.request({ mode: 'lightweight', maxSessions: 3 }), {
        taskQueue: f.taskQueue,
      });
      return handle.result();
    });
    expect(result.status).toBe('max-sessions-reached');
    expect(result.completion).toBeNull();
    expect(result.sessions).toBe(3);
    expect(subjects(f.repo)).toEqual([
      'session-3: one more step',
      'session-2: one more step',
      'session-1: one more step',
      'initial',
    ]);
    expect(readFileSync(join(f.repo, 'notes.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });
});

describe('structured loops', () => {
  it('seeds task_list.md with the criteria and finishes when every box is ticked (replaying every task)', async () => {
    const f = await fixture(
      'boxes',
      {
        rules: [{ when: { session: 1 }, do: [{ tickBox: { count: 2 } }, say('initialized the list')] }],
        otherwise: [{ tickBox: { count: 1 } }, say('ticked one')],
      },
      { maxCachedWorkflows: 0 },
    );
    const result = await f.worker.runUntil(async () => {
      const handle = await startLoop(
        env.client,
        f.request({ criteria: ['GET /todos returns the list', 'tests pass'], maxSessions: 10 }),
        {
          taskQueue: f.taskQueue,
        },
      );
      const done = await handle.result();
      await recordHistory(handle, 'loop-structured');
      return done;
    });
    // 2 criteria + the 2 boxes of the template: 2 in session 1, then one per session.
    expect(result).toMatchObject({
      status: 'completed',
      sessions: 3,
      completion: { by: 'checkboxes', session: 3 },
      checkboxes: { done: 4, total: 4 },
    });
    const list = f.files('task_list.md');
    expect(list).toContain('- [x] GET /todos returns the list');
    expect(list).not.toMatch(/^- \[ \]/m);
    expect(f.files('sessions', 'session-001.prompt.md')).toContain('initializer');
    const executor = f.files('sessions', 'session-002.prompt.md');
    expect(executor).toContain('executor');
    expect(executor).toContain('**Break the work into phased sub-tasks in this file, one checkbox each**');
    expect(f.files('progress.md')).toContain('- Tasks: 4/4 done');
    expect(f.files('.mode').trim()).toBe('structured');
    expect(subjects(f.repo)).toEqual([
      'session-3: ticked one',
      'session-2: ticked one',
      'session-1: initialized the list',
      'initial',
    ]);
  });
});

describe('verification of completion', () => {
  it('records a promise with failing --verify as a false completion and goes on until it passes', async () => {
    const f = await fixture('verify', {
      rules: [
        { when: { session: 1 }, do: [say('<promise>DONE</promise>'), say('claimed too early')] },
        {
          when: { session: 2 },
          do: [
            { write: { path: 'ready.txt', content: 'yes\n' } },
            say('<promise>DONE</promise>'),
            say('really done'),
          ],
        },
      ],
    });
    const result = await f.worker.runUntil(async () => {
      const handle = await startLoop(
        env.client,
        f.request({
          mode: 'lightweight',
          maxSessions: 5,
          verify: 'test -f ready.txt || { echo "ready.txt is missing"; exit 1; }',
        }),
        {
          taskQueue: f.taskQueue,
        },
      );
      const done = await handle.result();
      await recordHistory(handle, 'loop-false-completion');
      return done;
    });
    expect(result.status).toBe('completed');
    expect(result.completion).toEqual({ by: 'promise', session: 2, verified: true });
    expect(result.falseCompletionCount).toBe(1);
    expect(result.falseCompletions).toEqual([
      expect.objectContaining({
        session: 1,
        by: 'promise',
        output: expect.stringContaining('ready.txt is missing'),
      }),
    ]);
    expect(f.files('sessions', 'session-002.prompt.md')).toContain('Your last completion claim was refused');
    expect(f.files('sessions', 'session-001.verify.log')).toContain('ready.txt is missing');
    expect(f.files('progress.md')).toContain('recorded as a false completion');
    expect(subjects(f.repo)).toEqual(['session-2: really done', 'session-1: claimed too early', 'initial']);
  });
});

describe('failing sessions', () => {
  it('retries a failing session under its own number, then waits for a person; retry runs it again', async () => {
    const f = await fixture('fail', {
      rules: [{ times: 2, do: [{ stderr: 'agent crashed' }, { exit: 3 }] }],
      otherwise: [...work('recovered'), say('<promise>DONE</promise>')],
    });
    const result = await f.worker.runUntil(async () => {
      const handle = await startLoop(env.client, f.request({ mode: 'lightweight', maxSessions: 1 }), {
        taskQueue: f.taskQueue,
      });
      const waiting = await eventually(
        async () => {
          const v = await handle.query(loopStatusQuery);
          return v.status === 'awaiting-human' ? v : undefined;
        },
        60_000,
        'the escalation',
      );
      expect(waiting).toMatchObject({
        sessions: 1,
        attempts: 2,
        lastError: expect.stringContaining('agent crashed'),
      });
      await expect(handle.executeUpdate(loopOverrideUpdate, { args: [{ note: ' ' }] })).rejects.toThrow(
        WorkflowUpdateFailedError,
      );
      await handle.executeUpdate(loopRetryUpdate);
      const done = await handle.result();
      await recordHistory(handle, 'loop-escalation-retry');
      return done;
    });
    // maxSessions 1 still allows the retried session 1 to complete.
    expect(result).toMatchObject({ status: 'completed', sessions: 1, completion: { session: 1 } });
    expect(f.files('sessions', 'session-001.log').match(/agent crashed/g)).toHaveLength(2);
    expect(subjects(f.repo)).toEqual(['session-1: declared completion', 'initial']);
    expect(readFileSync(join(f.repo, 'notes.txt'), 'utf8')).toBe('recovered\n');
  });

  it('fails with the reason in its status when the repo is not a git repository', async () => {
    const f = await fixture('norepo', { rules: [] });
    const notRepo = tempDir('not-a-repo');
    await f.worker.runUntil(async () => {
      const handle = await startLoop(env.client, f.request({ repo: notRepo }), { taskQueue: f.taskQueue });
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      const view = await handle.query(loopStatusQuery);
      expect(view.status).toBe('failed');
      expect(view.lastError).toContain('is not a git repository');
    });
  });
});

describe('one runner per task, and --continue', () => {
  it('refuses a second runner for a running task', async () => {
    const f = await fixture('lock', { rules: [], otherwise: [{ tick: { every: 200, count: 100 } }] });
    const cli = [
      'Build a tiny todo API',
      '--repo',
      f.repo,
      '--task-name',
      f.taskName,
      '--lightweight',
      '--scenario',
      join(f.dir, 'scenario.json'),
    ];
    await withTaskQueue(f.taskQueue, () =>
      f.worker.runUntil(async () => {
        // The first runner through the CLI, as a person starts it.
        const started = await captureStdout(() => loopCommand.run([...cli, '--json']));
        expect(JSON.parse(started.text)).toMatchObject({
          taskName: f.taskName,
          workflowId: `loop-${f.taskName}`,
        });
        await expect(loopCommand.run(cli)).rejects.toThrow(
          `task ${f.taskName} already has a runner (loop-${f.taskName})`,
        );
        const handle = env.client.workflow.getHandle(`loop-${f.taskName}`);
        await eventually(
          async () => ((await handle.query(loopStatusQuery)).lastOutput ? true : undefined),
          30_000,
          'the first session',
        );
        const second = startLoop(env.client, f.request({ mode: 'lightweight' }), { taskQueue: f.taskQueue });
        await expect(second).rejects.toThrow(ConflictError);
        await expect(second).rejects.toThrow(
          `task ${f.taskName} already has a runner (loop-${f.taskName}); use --continue after it stops or \`nightshift loop --list\``,
        );
        await expect(continueLoop(env.client, f.taskName, {}, { taskQueue: f.taskQueue })).rejects.toThrow(
          /already has a runner/,
        );
        await handle.cancel();
        await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
        expect((await handle.query(loopStatusQuery)).status).toBe('cancelled');
        // A task that ran before is carried on with --continue, not silently restarted from zero.
        await expect(
          startLoop(env.client, f.request({ mode: 'lightweight' }), { taskQueue: f.taskQueue }),
        ).rejects.toThrow(/has run before/);
      }),
    );
  });

  it('--continue carries the counters: sessions keep their numbers and the totals are kept', async () => {
    const f = await fixture('continue', {
      rules: [
        { when: { session: 1 }, do: [...work('first'), say('<promise>DONE</promise>'), say('claimed')] },
      ],
      otherwise: work('step'),
    });
    const request = f.request({ mode: 'lightweight', maxSessions: 2, verify: 'test -f never-there' });
    const [first, second] = await f.worker.runUntil(async () => {
      const a = await (await startLoop(env.client, request, { taskQueue: f.taskQueue })).result();
      const { handle, counters } = await continueLoop(
        env.client,
        f.taskName,
        { maxSessions: 2 },
        { taskQueue: f.taskQueue },
      );
      expect(counters.sessions).toBe(2);
      const b = await handle.result();
      return [a, b] as LoopStatusView[];
    });
    expect(first).toMatchObject({ status: 'max-sessions-reached', sessions: 2, falseCompletionCount: 1 });
    expect(second).toMatchObject({
      status: 'max-sessions-reached',
      sessions: 4,
      runSessions: 2,
      falseCompletionCount: 1,
    });
    expect(subjects(f.repo)).toEqual([
      'session-4: step',
      'session-3: step',
      'session-2: step',
      'session-1: claimed',
      'initial',
    ]);
    expect(f.files('sessions', 'session-003.log')).toContain('step');
    expect(f.files('progress.md').match(/^## Session \d+ — /gm)).toHaveLength(4);

    const listed = await eventually(
      async () => {
        const all = await listLoops(env.client, { repo: f.repo });
        const mine = all.find((l) => l.taskName === f.taskName);
        return mine?.sessions === 4 ? mine : undefined;
      },
      30_000,
      'the loop in the list',
    );
    expect(listed).toMatchObject({
      status: 'max-sessions-reached',
      mode: 'lightweight',
      falseCompletions: 1,
      repo: f.repo,
    });

    // The CLI's --list reads the same, as JSON.
    const out = await captureStdout(() => loopCommand.run(['--list', '--json', '--repo', f.repo]));
    expect(out.code).toBe(0);
    expect(JSON.parse(out.text)).toEqual(
      expect.arrayContaining([expect.objectContaining({ taskName: f.taskName, sessions: 4 })]),
    );
  });
});

describe('scheduled build sessions (seed 000)', () => {
  it('creates a schedule, runs one triggered session that logs and commits, lists it and deletes it', async () => {
    const f = await fixture('sched', {
      rules: [],
      otherwise: [
        { append: { path: 'CHANGELOG.md', content: '- tidied\n' } },
        say('DEVNOTE discovery: the README was short'),
        say('wrote the changelog'),
      ],
    });
    const promptFile = join(f.dir, 'build-session.md');
    writeFileSync(promptFile, 'Tidy the README\n\nPick one small thing and ship it.\n');
    const name = f.taskName;
    await withTaskQueue(f.taskQueue, async () => {
      const scenario = join(f.dir, 'scenario.json');
      const added = await captureStdout(() =>
        scheduleCommand.run([
          'add',
          name,
          '--every',
          '1h',
          '--repo',
          f.repo,
          '--prompt-file',
          promptFile,
          '--scenario',
          scenario,
          '--json',
        ]),
      );
      expect(added.code).toBe(0);
      expect(JSON.parse(added.text)).toMatchObject({
        name,
        scheduleId: `nightshift-${name}`,
        everyMs: 3_600_000,
      });
      await expect(
        scheduleCommand.run(['add', name, '--every', '1h', '--repo', f.repo, '--prompt-file', promptFile]),
      ).rejects.toThrow(ConflictError);

      const result = await f.worker.runUntil(async () => {
        expect((await captureStdout(() => scheduleCommand.run(['trigger', name]))).code).toBe(0);
        const [workflowId] = await eventually(
          async () => {
            const runs = await scheduleRuns(env.client, name);
            return runs.length > 0 ? runs : undefined;
          },
          30_000,
          'the triggered session',
        );
        expect(workflowId).toMatch(new RegExp(`^loop-${name}-`));
        return env.client.workflow.getHandle(workflowId as string).result() as Promise<LoopStatusView>;
      });
      // One session, no promise: the scheduled session ran its one allowed session.
      expect(result).toMatchObject({ status: 'max-sessions-reached', sessions: 1, mode: 'lightweight' });

      const entries = parseBuildLogEntries(readFileSync(join(f.repo, 'BUILD_LOG.md'), 'utf8'));
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        title: 'Tidy the README',
        whatIBuilt: 'wrote the changelog',
        keyInsights: '- discovery: the README was short',
      });
      expect(entries[0]?.git).toContain('session-1: wrote the changelog');
      expect(entries[0]?.time).toMatch(/^\d{2}:\d{2}$/);
      expect(subjects(f.repo)).toEqual(['session-1: wrote the changelog', 'initial']);
      expect(gitIn(f.repo, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual([
        'BUILD_LOG.md',
        'CHANGELOG.md',
      ]);

      const listed = await eventually(
        async () => (await listLoopSchedules(env.client)).find((s) => s.name === name),
        30_000,
        'the schedule in the list',
      );
      expect(listed).toMatchObject({
        scheduleId: `nightshift-${name}`,
        everyMs: 3_600_000,
        repo: f.repo,
        paused: false,
      });
      const cliList = await captureStdout(() => scheduleCommand.run(['list', '--json']));
      expect(JSON.parse(cliList.text)).toEqual(expect.arrayContaining([expect.objectContaining({ name })]));

      expect((await captureStdout(() => scheduleCommand.run(['delete', name]))).code).toBe(0);
      await eventually(
        async () => ((await listLoopSchedules(env.client)).some((s) => s.name === name) ? undefined : true),
        30_000,
        'the schedule to be gone',
      );
      await expect(scheduleCommand.run(['trigger', name])).rejects.toThrow(/no schedule named/);
    });
  });
});

/** CLI commands start work on `NIGHTSHIFT_TASK_QUEUE`: point it at the test's own queue meanwhile. */
async function withTaskQueue<T>(queue: string, fn: () => Promise<T>): Promise<T> {
  const previous = process.env.NIGHTSHIFT_TASK_QUEUE;
  process.env.NIGHTSHIFT_TASK_QUEUE = queue;
  try {
    return await fn();
  } finally {
    if (previous === undefined) delete process.env.NIGHTSHIFT_TASK_QUEUE;
    else process.env.NIGHTSHIFT_TASK_QUEUE = previous;
  }
}

/** Runs a CLI command in-process and collects what it prints. */
async function captureStdout(fn: () => Promise<number>): Promise<{ code: number; text: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    const code = await fn();
    return { code, text: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

describe('a loop driven by a real agent adapter', () => {
  it('a usage limit parks the loop until its reset time, then the same session runs again without spending an attempt', async () => {
    const f = await fixture('ratelimit', { rules: [] });
    const fakeDir = tempDir('fake-claude');
    const init = { type: 'system', subtype: 'init', session_id: '$SESSION', model: 'claude-sonnet-4-5' };
    process.env.FAKE_CLAUDE_SCRIPT = writeJson(join(fakeDir, 'script.json'), [
      { events: [init, { type: 'result', subtype: 'success', is_error: true, result: 'Claude AI usage limit reached|$RESET', total_cost_usd: 0.01 }], exit: 1 },
      {
        events: [
          init,
          { type: 'assistant', message: { content: [{ type: 'text', text: 'all done <promise>DONE</promise>' }] } },
          { type: 'result', subtype: 'success', is_error: false, result: 'done', total_cost_usd: 0.2, num_turns: 2 },
        ],
        exit: 0,
      },
    ]);
    process.env.FAKE_CLAUDE_LOG = join(fakeDir, 'argv.jsonl');
    process.env.FAKE_CLAUDE_RESET_IN = '6';
    const fake = join(__dirname, '..', 'fixtures', 'agents', 'fake-claude.js');
    const seen: string[] = [];
    const final = await f.worker.runUntil(async () => {
      const handle = await startLoop(env.client, f.request({ mode: 'lightweight', maxSessions: 3, agent: { kind: 'claude', bin: fake } }), { taskQueue: f.taskQueue });
      await eventually(async () => {
        const v = await handle.query(loopStatusQuery);
        seen.push(v.status);
        return v.status === 'rate-limited' ? v : undefined;
      }, 30_000, 'the loop to park');
      return handle.result();
    });
    delete process.env.FAKE_CLAUDE_RESET_IN;
    expect(final.status).toBe('completed');
    expect(final.sessions).toBe(1);
    expect(final.costUsd).toBeCloseTo(0.21);
    const calls = readFileSync(process.env.FAKE_CLAUDE_LOG, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { at: number });
    expect(calls).toHaveLength(2);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(5000);
  });
});
