import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { statusQuery } from '../../src/workflows/build/messages';
import { untilStatus } from '../support/builds';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv } from '../support/temporal';
import { retryUpdate } from '../../src/workflows/build/messages';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

const FAKE = join(__dirname, '..', 'fixtures', 'agents', 'fake-claude.js');
const init = { type: 'system', subtype: 'init', session_id: '$SESSION', model: 'claude-sonnet-4-5' };
const says = (text: string) => ({ type: 'assistant', message: { content: [{ type: 'text', text }] }, session_id: '$SESSION' });
const result = (fields: Record<string, unknown>) => ({
  type: 'result',
  subtype: 'success',
  is_error: false,
  num_turns: 3,
  duration_ms: 1200,
  session_id: '$SESSION',
  usage: { input_tokens: 1000, output_tokens: 200 },
  permission_denials: [],
  result: 'done',
  ...fields,
});

/** A one-checkpoint build driven by the fake claude, which follows `steps` invocation by invocation. */
function claudeBuild(steps: unknown[], policy: Record<string, unknown> = {}) {
  const dir = tempDir('claude');
  process.env.FAKE_CLAUDE_SCRIPT = writeJson(join(dir, 'script.json'), steps);
  process.env.FAKE_CLAUDE_LOG = join(dir, 'argv.jsonl');
  const repo = makeRepo();
  const label = `claude-${process.pid}-${Date.now() % 1_000_000}`;
  const request = parseBuildRequest({
    label,
    repo,
    plan: samplePlan(1),
    agent: { kind: 'claude', bin: FAKE, model: 'sonnet', permissionMode: 'acceptEdits' },
    policy: { retryInterval: '1s', ...policy },
  });
  const invocations = () =>
    readFileSync(process.env.FAKE_CLAUDE_LOG as string, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { at: number; argv: string[] });
  return { repo, label, request, invocations };
}

const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('the claude adapter, end to end with a fake claude', () => {
  it('passes the documented argv, parses stream-json, adds up cost and resumes its session on a retry', async () => {
    const b = claudeBuild([
      { events: [init, says('working on it'), result({ subtype: 'error_during_execution', is_error: true, total_cost_usd: 0.25, result: 'API Error: 500 overloaded' })], exit: 1 },
      { events: [init, says('DEVNOTE decision: kept the old API'), says('all done'), result({ total_cost_usd: 0.5 })], exit: 0 },
    ]);
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, b.request, { taskQueue });
      expect((await handle.result()).status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.spentUsd).toBeCloseTo(0.75);
      expect(view.attempts).toEqual([expect.objectContaining({ outcome: 'failed', error: expect.stringContaining('API Error: 500 overloaded') })]);
      expect(view.devNotes).toContainEqual(expect.objectContaining({ category: 'decision', content: 'kept the old API' }));
      expect(view.lastOutput).toBe('all done');
    });
    const [first, second] = b.invocations();
    expect(first?.argv.slice(0, 2)).toEqual(['-p', expect.stringContaining('Checkpoint 1: Step 1')]);
    expect(first?.argv).toEqual(expect.arrayContaining(['--output-format', 'stream-json', '--verbose', '--model', 'sonnet', '--permission-mode', 'acceptEdits']));
    const sessionId = after(first?.argv ?? [], '--session-id');
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(after(second?.argv ?? [], '--resume')).toBe(sessionId);
    expect(second?.argv).not.toContain('--session-id');
    expect(gitIn(b.repo, 'log', '--format=%s', `main..nightshift/${b.label}`)).toBe('checkpoint-1: Step 1');
  });

  it('a usage limit parks the build until the reset time and resumes without spending an attempt', async () => {
    process.env.FAKE_CLAUDE_RESET_IN = '6';
    const b = claudeBuild([
      { events: [init, result({ is_error: true, result: 'Claude AI usage limit reached|$RESET', total_cost_usd: 0.01 })], exit: 1 },
      { events: [init, says('resumed and finished'), result({ total_cost_usd: 0.1 })], exit: 0 },
    ]);
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, b.request, { taskQueue });
      const parked = await untilStatus(handle, (v) => v.status === 'rate-limited', 'the build to park');
      expect(parked.reason).toBe('rate-limited');
      expect(parked.checkpoints[0]?.taskGroups[0]?.attempts).toBe(0);
      expect((await handle.result()).status).toBe('completed');
      expect((await handle.query(statusQuery)).attempts.map((a) => a.outcome)).toEqual(['rate-limited']);
    });
    delete process.env.FAKE_CLAUDE_RESET_IN;
    const [first, second] = b.invocations();
    // It waited for the reset (6 s after the first run), not the 1 s retry interval.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(5000);
    expect(after(second?.argv ?? [], '--resume')).toBe(after(first?.argv ?? [], '--session-id'));
  });

  it('the build budget holds across a worker restart: spent cost is never reset', async () => {
    const b = claudeBuild([{ events: [init, says('trying'), result({ is_error: true, subtype: 'error_during_execution', total_cost_usd: 0.6, result: 'tests fail' })], exit: 1 }], {
      buildBudgetUsd: 1,
      maxAttempts: 5,
      retryInterval: '3s',
    });
    const taskQueue = env.taskQueue();
    const home = tempDir('home');
    const first = await env.worker({ taskQueue, home });
    const handle = await first.worker.runUntil(async () => {
      const h = await startBuild(env.client, b.request, { taskQueue });
      await untilStatus(h, (v) => v.attempts.length === 1, 'the first failed session');
      return h;
    });
    expect(b.invocations()).toHaveLength(1);
    const second = await env.worker({ taskQueue, home });
    await second.worker.runUntil(async () => {
      const waiting = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'the budget to stop the build');
      expect(waiting.reason).toBe('budget-exceeded');
      expect(waiting.spentUsd).toBeCloseTo(1.2);
      expect(waiting.remainingUsd).toBe(0);
      expect(waiting.sessions).toBe(2);
      await new Promise((r) => setTimeout(r, 4000));
      expect(b.invocations()).toHaveLength(2);
      // A person's retry grants the budget again: one more session runs.
      await handle.executeUpdate(retryUpdate);
      await untilStatus(handle, (v) => v.sessions === 3, 'a third session after the retry');
      await handle.cancel();
    });
  });
});
