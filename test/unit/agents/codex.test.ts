import { classifyExit } from '../../../src/agents/classify';
import { codexAgent, codexFailure, sessionShare } from '../../../src/agents/codex';
import { clock, context, feed, fixture, jsonl, NOW } from './feed';

const agent = codexAgent(undefined, { now: clock });
const parse = (text: string, model = 'gpt-5-codex') => feed(agent.parser(context({ model })), text);

const started = { type: 'thread.started', thread_id: 'thread-1' };
const turn = { type: 'turn.started' };
const completed = (input: number, cached: number, output: number) => ({
  type: 'turn.completed',
  usage: { input_tokens: input, cached_input_tokens: cached, output_tokens: output },
});
const command = (phase: string, exitCode: number | null, status: string) => ({
  type: `item.${phase}`,
  item: {
    id: 'item_9',
    type: 'command_execution',
    command: "bash -lc 'npm test'",
    aggregated_output: '',
    exit_code: exitCode,
    status,
  },
});

const settings = ['-c', 'sandbox_mode="workspace-write"', '-c', 'features.unbounded_connection_retries=false'];

describe('codex argv', () => {
  it('runs exec with JSON events, a writable sandbox, bounded retries and the prompt last', () => {
    expect(agent.name).toBe('codex');
    expect(agent.supportsResume).toBe(true);
    expect(agent.argv(context())).toEqual(['codex', 'exec', '--json', ...settings, 'Build the plan']);
  });

  it('maps --auto-approve to approval policy never (--full-auto is gone) and adds the model', () => {
    const argv = agent.argv(context({ model: 'gpt-5-codex', autoApprove: true }));
    expect(argv).toEqual([
      'codex',
      'exec',
      '--json',
      '-c',
      'sandbox_mode="workspace-write"',
      '-c',
      'approval_policy="never"',
      '-c',
      'features.unbounded_connection_retries=false',
      '--model',
      'gpt-5-codex',
      'Build the plan',
    ]);
    expect(argv).not.toContain('--full-auto');
  });

  it('takes the sandbox mode from --permission-mode', () => {
    expect(agent.argv(context({ permissionMode: 'danger-full-access' }))).toContain('sandbox_mode="danger-full-access"');
    expect(agent.argv(context({ permissionMode: 'read-only' }))).toContain('sandbox_mode="read-only"');
  });

  it('turns its own sandbox off inside Nightshift\'s (nested bubblewrap cannot start), unless --permission-mode names one', () => {
    expect(agent.argv(context({ contained: true }))).toContain('sandbox_mode="danger-full-access"');
    expect(agent.argv(context({ contained: true, permissionMode: 'workspace-write' }))).toContain('sandbox_mode="workspace-write"');
  });

  it('resumes a thread by id with the same settings as -c (exec resume has no --sandbox)', () => {
    expect(agent.argv(context({ resumeSessionId: '0199a213-81c0', model: 'o3' }))).toEqual([
      'codex',
      'exec',
      'resume',
      '0199a213-81c0',
      '--json',
      ...settings,
      '--model',
      'o3',
      'Build the plan',
    ]);
  });

  it('ends options before a prompt that starts with a dash', () => {
    expect(agent.argv(context({ prompt: '-v prints nothing' })).slice(-2)).toEqual([
      '--',
      '-v prints nothing',
    ]);
  });
});

describe('codex JSONL parser', () => {
  it('reads a successful run', () => {
    const parsed = parse(fixture('codex-success.jsonl'));
    expect(parsed).toMatchObject({
      sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53',
      model: 'gpt-5-codex',
      turns: 1,
      usage: { inputTokens: 24763, cachedInputTokens: 24448, outputTokens: 122 },
      promiseSeen: true,
      isError: false,
      failureClass: null,
      lastLine: '<promise>COMPLETE</promise>',
    });
    // Only the agent's own message counts; the plan it printed with `cat` does not.
    expect(parsed.devNotes).toEqual([
      { category: 'deviation', content: 'exported the parser from index.ts, which the plan did not mention' },
    ]);
    // gpt-5-codex: 315 uncached at $1.25/M, 24448 cached at $0.125/M, 122 out at $10/M.
    expect(parsed.costUsd).toBeCloseTo((315 * 1.25 + 24448 * 0.125 + 122 * 10) / 1e6, 10);
  });

  it('prices usage with a configured table', () => {
    const custom = codexAgent({ 'gpt-5-codex': { input: 10, cachedInput: 1, output: 100 } }, { now: clock });
    const parsed = feed(custom.parser(context({ model: 'gpt-5-codex' })), fixture('codex-success.jsonl'));
    expect(parsed.costUsd).toBeCloseTo((315 * 10 + 24448 * 1 + 122 * 100) / 1e6, 10);
  });

  it('prices an unnamed model with the default entry', () => {
    const parsed = feed(agent.parser(context()), jsonl(started, turn, completed(1_000_000, 0, 0)));
    expect(parsed.model).toBeNull();
    expect(parsed.costUsd).toBeCloseTo(1.25, 10);
  });

  it('describes commands and file changes as the last line', () => {
    expect(parse(jsonl(started, turn, command('started', null, 'in_progress'))).lastLine).toBe(
      "$ bash -lc 'npm test'",
    );
    expect(parse(jsonl(started, turn, command('completed', 1, 'failed'))).lastLine).toBe(
      "$ bash -lc 'npm test' (exit 1)",
    );
    const change = {
      type: 'item.completed',
      item: {
        id: 'i',
        type: 'file_change',
        changes: [
          { path: 'src/a.ts', kind: 'add' },
          { path: 'src/b.ts', kind: 'delete' },
        ],
        status: 'completed',
      },
    };
    expect(parse(jsonl(started, turn, change)).lastLine).toBe('files: add src/a.ts, delete src/b.ts');
    const refused = { type: 'item.completed', item: { id: 'i', type: 'file_change', changes: [{ path: 'work/one.txt', kind: 'add' }], status: 'failed' } };
    expect(parse(jsonl(started, turn, refused)).lastLine).toBe('files: add work/one.txt (failed)');
  });

  it('reads usage as the thread total: the last turn.completed counts, not the sum', () => {
    const parsed = parse(jsonl(started, turn, completed(100, 40, 10), turn, completed(300, 90, 30)));
    expect(parsed.turns).toBe(2);
    expect(parsed.usage).toEqual({ inputTokens: 300, cachedInputTokens: 90, outputTokens: 30 });
    expect(parsed.threadUsage).toEqual({ inputTokens: 300, cachedInputTokens: 90, outputTokens: 30 });
  });

  it('after exec resume, counts only what this session added to the thread', () => {
    const prior = { inputTokens: 3000, cachedInputTokens: 200, outputTokens: 100 };
    const resumed = feed(
      agent.parser(context({ model: 'gpt-5-codex', resumeSessionId: 'thread-1', priorUsage: prior })),
      jsonl(started, turn, completed(6000, 300, 150)),
    );
    expect(resumed.usage).toEqual({ inputTokens: 3000, cachedInputTokens: 100, outputTokens: 50 });
    expect(resumed.threadUsage).toEqual({ inputTokens: 6000, cachedInputTokens: 300, outputTokens: 150 });
    expect(resumed.costUsd).toBeCloseTo((2900 * 1.25 + 100 * 0.125 + 50 * 10) / 1e6, 12);
    // A prior total only applies to a resume.
    const fresh = feed(agent.parser(context({ model: 'gpt-5-codex', priorUsage: prior })), jsonl(started, turn, completed(6000, 300, 150)));
    expect(fresh.usage).toEqual({ inputTokens: 6000, cachedInputTokens: 300, outputTokens: 150 });
  });

  it('a thread total below the prior one is counted whole', () => {
    expect(sessionShare({ inputTokens: 10, cachedInputTokens: 0, outputTokens: 5 }, { inputTokens: 50, cachedInputTokens: 0, outputTokens: 1 })).toEqual({
      inputTokens: 10,
      cachedInputTokens: 0,
      outputTokens: 5,
    });
    expect(sessionShare({ inputTokens: 10, cachedInputTokens: 2, outputTokens: 5 }, null)).toEqual({ inputTokens: 10, cachedInputTokens: 2, outputTokens: 5 });
  });

  it('reads a usage-limit failure with its relative reset time', () => {
    const parsed = parse(fixture('codex-turn-failed.jsonl'));
    expect(parsed).toMatchObject({
      sessionId: '0199b7c4-2f10-7a33-9d41-5c0e8f1a2b3c',
      isError: true,
      failureClass: 'rate-limited',
      resetAt: '2025-11-21T12:15:00.000Z',
      turns: 1,
      usage: null,
      costUsd: null,
    });
    expect(parsed.failureMessage).toMatch(/usage limit/);
    expect(classifyExit(parsed, 1, null)).toBe('rate-limited');
  });

  it('classifies other turn failures as transient', () => {
    const failed = {
      type: 'turn.failed',
      error: { message: 'stream disconnected before completion: error sending request' },
    };
    const parsed = parse(jsonl(started, turn, failed));
    expect(parsed).toMatchObject({ isError: true, failureClass: 'transient', resetAt: null });
    expect(parsed.failureMessage).toMatch(/stream disconnected/);
  });

  it('forgets an error the turn recovered from', () => {
    const parsed = parse(
      jsonl(started, turn, { type: 'error', message: 'Reconnecting... 1/5' }, completed(10, 0, 5)),
    );
    expect(parsed.isError).toBe(false);
    expect(parsed.failureClass).toBeNull();
  });

  it('counts an error no turn recovered from', () => {
    const parsed = parse(
      jsonl(started, turn, {
        type: 'error',
        message: 'exceeded retry limit, last status: 429 Too Many Requests',
      }),
    );
    expect(parsed).toMatchObject({ isError: true, failureClass: 'rate-limited' });
  });

  it('ignores unknown events and item types', () => {
    const parsed = parse(
      jsonl(
        started,
        { type: 'thread.archived' },
        { type: 'item.completed', item: { type: 'hologram', text: 'DEVNOTE decision: no' } },
        { type: 'item.completed', item: 'nope' },
      ),
    );
    expect(parsed).toMatchObject({ sessionId: 'thread-1', devNotes: [], lastLine: null, isError: false });
  });

  it('reads plain-text lines (a crash, a limit on stderr) as text', () => {
    const parser = agent.parser(context());
    parser.line(
      'ERROR: exceeded retry limit, last status: 429 Too Many Requests, try again in 30 seconds',
      'stderr',
    );
    const parsed = parser.result();
    expect(parsed).toMatchObject({
      isError: false,
      failureClass: 'rate-limited',
      resetAt: '2025-11-21T10:00:30.000Z',
    });
    expect(classifyExit(parsed, 1, null)).toBe('rate-limited');
  });

  it('reads a 401 in turn.failed as auth, with the fix in the message', () => {
    const message = 'unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:9/v1/responses';
    const parsed = parse(
      jsonl(started, turn, { type: 'error', message: `Reconnecting... 1/5 (${message})` }, { type: 'turn.failed', error: { message } }),
    );
    expect(parsed).toMatchObject({ isError: true, failureClass: 'auth', resetAt: null });
    expect(parsed.failureMessage).toContain('codex login');
    // Codex reads CODEX_API_KEY for its built-in provider; OPENAI_API_KEY it ignores.
    expect(parsed.failureMessage).toContain('give the worker CODEX_API_KEY');
    expect(parsed.failureMessage).toContain('401 Unauthorized');
    expect(classifyExit(parsed, 1, null)).toBe('auth');
  });

  it('reads a missing API key variable as auth, naming the variable', () => {
    const message = 'Missing environment variable: `SCRIPTED_KEY`.';
    const parsed = parse(jsonl(started, turn, { type: 'error', message }, { type: 'turn.failed', error: { message } }));
    expect(parsed.failureClass).toBe('auth');
    expect(parsed.failureMessage).toMatch(/API key from SCRIPTED_KEY, which the agent's environment does not have: give the worker that variable/);
  });

  it('reads an account out of quota as budget-exceeded: waiting does not fix billing', () => {
    const f = codexFailure('Quota exceeded. Check your plan and billing details.', NOW);
    expect(f.failureClass).toBe('budget-exceeded');
    expect(f.message).toMatch(/plan and billing/);
  });

  it('reads "try again at" (printed to the minute, rounded down) with a minute to spare', () => {
    const limit =
      'You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 5:46 PM.';
    expect(codexFailure(limit, NOW, 'UTC')).toMatchObject({ failureClass: 'rate-limited', resetAt: '2025-11-21T17:47:00.000Z' });
    // Codex prints its own zone's time, which is the worker's.
    expect(codexFailure(limit, NOW, 'America/New_York').resetAt).toBe('2025-11-21T22:47:00.000Z');
    const later = limit.replace('5:46 PM', 'Dec 5th, 2025 1:19 AM');
    expect(codexFailure(later, NOW, 'UTC').resetAt).toBe('2025-12-05T01:20:00.000Z');
    // A limit with no time (a 429 codex already retried) parks for the retry interval.
    expect(codexFailure('exceeded retry limit, last status: 429 Too Many Requests', NOW)).toEqual({
      failureClass: 'rate-limited',
      message: 'exceeded retry limit, last status: 429 Too Many Requests',
      resetAt: null,
    });
  });

  it('a thread this machine does not have is gone: the next attempt starts fresh', () => {
    const parsed = parse(
      [
        'WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "/tmp"',
        'Error: thread/resume: thread/resume failed: no rollout found for thread id 01a237d9-0000 (code -32600)',
        '',
        'Stack backtrace:',
        '   0: <unknown>',
        '   1: <unknown>',
      ].join('\n'),
    );
    expect(parsed.sessionGone).toBe(true);
    expect(parsed.lastLine).toMatch(/^Error: thread\/resume/);
    expect(parsed.failureMessage).toMatch(/no rollout found/);
    expect(classifyExit(parsed, 1, null)).toBe('transient');
  });

  it('a config error on stderr is the failure message, not the backtrace after it', () => {
    const parsed = parse(
      [
        'Error loading config.toml: unknown variant `acceptEdits`, expected one of `read-only`, `workspace-write`, `danger-full-access`',
        'in `sandbox_mode`',
        'Stack backtrace:',
        '   0: <unknown>',
      ].join('\n'),
    );
    expect(parsed.failureMessage).toMatch(/unknown variant `acceptEdits`/);
    expect(parsed.lastLine).toBe('in `sandbox_mode`');
  });

  it('ignores non-fatal error items (unknown model metadata, ignored config keys)', () => {
    const warning = { type: 'item.completed', item: { id: 'item_0', type: 'error', message: 'Model metadata for `x` not found.' } };
    const parsed = parse(jsonl(started, warning, turn, completed(10, 0, 5)));
    expect(parsed).toMatchObject({ isError: false, failureClass: null, lastLine: null });
  });

  it('a sandbox that cannot run commands (CODEX_HOME under /tmp with bubblewrap) goes to the person', () => {
    const ran = {
      type: 'item.completed',
      item: {
        id: 'item_0',
        type: 'command_execution',
        command: "/bin/bash -lc 'echo hi > a.txt'",
        aggregated_output: 'bwrap: execvp codex-linux-sandbox: No such file or directory\n',
        exit_code: 1,
        status: 'failed',
      },
    };
    const said = { type: 'item.completed', item: { id: 'item_1', type: 'agent_message', text: 'I could not write the file.' } };
    const parsed = parse(jsonl(started, turn, ran, said, completed(10, 0, 5)));
    expect(parsed).toMatchObject({ isError: true, failureClass: 'permission-blocked' });
    expect(parsed.failureMessage).toMatch(/CODEX_HOME outside \/tmp/);
    expect(classifyExit(parsed, 0, null)).toBe('permission-blocked');
  });
});
