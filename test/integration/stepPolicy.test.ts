import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import { retryUpdate, statusQuery } from '../../src/workflows/build/messages';
import { loopRetryUpdate, loopStatusQuery } from '../../src/workflows/loop/messages';
import { readHome, scenarioBuild, untilStatus } from '../support/builds';
import { recordHistory } from '../support/histories';
import { branchSubjects, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

/** The message an adapter gives for a missing login: it names the exact fix. */
const NOT_LOGGED_IN = 'Not logged in: run `claude /login`, or set ANTHROPIC_API_KEY for the worker';
const authFailure = { fail: { class: 'auth', message: NOT_LOGGED_IN } };

describe('one step policy: auth goes to the person at once, never spending an attempt', () => {
  it('a build reaches awaiting-human (auth) after exactly one session, with the fix in status and the notification', async () => {
    // A one-hour retry interval: if auth went through the attempt path, the build would sit there.
    const b = await scenarioBuild(env, {
      name: 'auth',
      checkpoints: 1,
      scenario: { rules: [{ times: 1, do: [authFailure] }] },
      policy: { retryInterval: '1h' },
    });
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(waiting.reason).toBe('auth');
      expect(waiting.sessions).toBe(1);
      expect(waiting.checkpoints[0]?.taskGroups[0]?.attempts).toBe(0);
      expect(waiting.waiting?.message).toContain(NOT_LOGGED_IN);
      expect(waiting.attempts.map((a) => a.outcome)).toEqual(['auth']);
      expect(readHome(b.home, 'notifications.log')).toMatch(/\[escalated\] .*\(auth\).*claude \/login/);
      // The person fixes the login and retries: the same step runs again and the build completes.
      await handle.executeUpdate(retryUpdate);
      expect((await handle.result()).status).toBe('completed');
      const done = await handle.query(statusQuery);
      expect(done.sessions).toBe(2);
      await recordHistory(handle, 'auth-retry');
    });
    expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-1: Step 1']);
  });

  it('the session fixing a failed verification follows the same policy: auth goes to the person at once', async () => {
    // Session 1 does the work, verification fails, session 2 (the fix) has no login.
    const b = await scenarioBuild(env, {
      name: 'fixauth',
      checkpoints: 1,
      verify: ['test -f never-there.txt'],
      scenario: { rules: [{ when: { session: 2 }, do: [authFailure] }] },
      policy: { retryInterval: '1h' },
    });
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the build to ask the person');
      expect(waiting).toMatchObject({ reason: 'auth', sessions: 2, waiting: { step: 'checkpoint 1 verification', message: expect.stringContaining(NOT_LOGGED_IN) } });
      expect(waiting.attempts.map((a) => a.outcome)).toEqual(['verification-failed', 'auth']);
      await handle.cancel();
    });
  });

  it('a loop (and so a scheduled session) reaches awaiting-human (auth) after exactly one session, attempts unchanged', async () => {
    const dir = tempDir('loop-auth');
    const scenario = writeJson(join(dir, 'scenario.json'), {
      rules: [{ times: 1, do: [authFailure] }],
      otherwise: [{ print: 'logged in now' }, { print: '<promise>DONE</promise>' }],
    });
    const repo = makeRepo();
    const taskName = `auth-${process.pid}-${Date.now() % 100000}`;
    const taskQueue = env.taskQueue();
    const { worker, home } = await env.worker({ taskQueue });
    const request = parseLoopRequest({
      taskName,
      task: 'Build a tiny todo API',
      repo,
      mode: 'lightweight',
      maxSessions: 1,
      agent: { kind: 'scripted', scenario },
      policy: { maxAttempts: 3, retryInterval: '1h', stallTimeout: '1m' },
    });
    await worker.runUntil(async () => {
      const handle = await startLoop(env.client, request, { taskQueue });
      const waiting = await eventually(async () => {
        const v = await handle.query(loopStatusQuery);
        return v.status === 'awaiting-human' ? v : undefined;
      }, 60_000, 'the loop to ask the person');
      expect(waiting).toMatchObject({ sessions: 1, attempts: 0, waiting: { reason: 'auth', message: expect.stringContaining(NOT_LOGGED_IN) } });
      expect(readHome(home, 'notifications.log')).toMatch(/\[escalated\] .*\(auth\).*claude \/login/);
      await handle.executeUpdate(loopRetryUpdate);
      const done = await handle.result();
      expect(done).toMatchObject({ status: 'completed', sessions: 1, attempts: 0 });
    });
  });
});

describe('one step policy: a resumed agent session that is gone', () => {
  it('starts a fresh agent session at once, without spending an attempt (fake claude)', async () => {
    const dir = tempDir('gone');
    const script = writeJson(join(dir, 'script.json'), [
      { events: [result({ subtype: 'error_during_execution', is_error: true, result: 'API Error: 500 overloaded' })], exit: 1 },
      { events: [result({ subtype: 'error_during_execution', is_error: true, result: '', errors: ['No conversation found with session ID: $SESSION'] })], exit: 1 },
      { events: [{ type: 'system', subtype: 'init', session_id: '$SESSION' }, result({ result: 'started over and finished' })], exit: 0 },
    ]);
    const log = join(dir, 'argv.jsonl');
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const label = `gone-${process.pid}-${Date.now() % 100000}`;
    const repo = makeRepo();
    // Two attempts: had the gone session spent one, the build would wait for a person instead.
    const request = parseBuildRequest({
      label,
      repo,
      plan: samplePlan(1),
      agent: { kind: 'claude', bin: join(__dirname, '..', 'fixtures', 'agents', 'fake-claude.js'), permissionMode: 'acceptEdits' },
      policy: { maxAttempts: 2, retryInterval: '1s' },
    });
    process.env.FAKE_CLAUDE_SCRIPT = script;
    process.env.FAKE_CLAUDE_LOG = log;
    try {
      await worker.runUntil(async () => {
        const handle = await startBuild(env.client, request, { taskQueue });
        expect((await handle.result()).status).toBe('completed');
        const view = await handle.query(statusQuery);
        expect(view.checkpoints[0]?.taskGroups[0]?.attempts).toBe(1);
        expect(view.sessions).toBe(3);
      });
    } finally {
      delete process.env.FAKE_CLAUDE_SCRIPT;
      delete process.env.FAKE_CLAUDE_LOG;
    }
    const argv = readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { argv: string[] }).argv);
    const after = (a: string[] | undefined, flag: string) => (a && a.includes(flag) ? a[a.indexOf(flag) + 1] : undefined);
    const first = after(argv[0], '--session-id');
    expect(after(argv[1], '--resume')).toBe(first);
    // The third run does not resume the gone session: it starts a new one.
    expect(argv[2]).not.toContain('--resume');
    expect(after(argv[2], '--session-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(after(argv[2], '--session-id')).not.toBe(first);
  });
});

function result(fields: Record<string, unknown>) {
  return { type: 'result', subtype: 'success', is_error: false, num_turns: 1, session_id: '$SESSION', usage: { input_tokens: 10, output_tokens: 2 }, permission_denials: [], result: 'done', ...fields };
}
