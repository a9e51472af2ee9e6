import { claudeAgent } from '../../../src/agents/claude';
import { classifyExit } from '../../../src/agents/classify';
import { clock, context, feed, fixture, jsonl } from './feed';

const agent = claudeAgent({ now: clock });
const parse = (text: string, stream: 'stdout' | 'stderr' = 'stdout') =>
  feed(agent.parser(context()), text, stream);

const init = { type: 'system', subtype: 'init', session_id: 'sess-1', model: 'claude-sonnet-4-5' };
const say = (text: string) => ({
  type: 'assistant',
  message: { model: 'claude-sonnet-4-5', content: [{ type: 'text', text }] },
});
const result = (fields: Record<string, unknown>) => ({
  type: 'result',
  subtype: 'success',
  is_error: false,
  num_turns: 3,
  permission_denials: [],
  ...fields,
});

describe('claude argv', () => {
  it('asks for streamed JSON and leaves unset options out', () => {
    expect(agent.name).toBe('claude');
    expect(agent.supportsResume).toBe(true);
    expect(agent.argv(context())).toEqual([
      'claude',
      '-p',
      'Build the plan',
      '--output-format',
      'stream-json',
      '--verbose',
    ]);
  });

  it('passes every option it is given, tools as one comma-joined argument', () => {
    const argv = agent.argv(
      context({
        model: 'claude-opus-4-1',
        maxTurns: 40,
        permissionMode: 'acceptEdits',
        allowedTools: ['Read', 'Edit', 'Bash(npm test:*)'],
        maxBudgetUsd: 2.5,
        sessionId: '11111111-2222-4333-8444-555555555555',
      }),
    );
    expect(argv).toEqual([
      'claude',
      '-p',
      'Build the plan',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
      'claude-opus-4-1',
      '--max-turns',
      '40',
      '--permission-mode',
      'acceptEdits',
      '--allowedTools',
      'Read,Edit,Bash(npm test:*)',
      '--max-budget-usd',
      '2.5',
      '--session-id',
      '11111111-2222-4333-8444-555555555555',
    ]);
  });

  it('resumes the agent session instead of assigning a new id', () => {
    const argv = agent.argv(context({ sessionId: 'new-id', resumeSessionId: 'old-session' }));
    expect(argv.slice(-2)).toEqual(['--resume', 'old-session']);
    expect(argv).not.toContain('--session-id');
    expect(argv).not.toContain('new-id');
  });

  it('leaves out an empty tool list', () => {
    expect(agent.argv(context({ allowedTools: [] }))).not.toContain('--allowedTools');
  });

  it('keeps a prompt with shell syntax as one argument', () => {
    const prompt = 'fix `make` && rm -rf "$HOME"; echo done | tee log';
    expect(agent.argv(context({ prompt }))[2]).toBe(prompt);
  });

  it('puts a prompt that looks like an option after "--"', () => {
    const argv = agent.argv(context({ prompt: '--help is broken, fix it', model: 'm' }));
    expect(argv.slice(-2)).toEqual(['--', '--help is broken, fix it']);
    expect(argv.indexOf('--model')).toBeLessThan(argv.indexOf('--'));
  });
});

describe('claude stream-json parser', () => {
  it('reads a successful session', () => {
    const parsed = parse(fixture('claude-success.jsonl'));
    expect(parsed).toMatchObject({
      sessionId: '4b1f2c6e-8d3a-4f7b-9c21-5e6d7a8b9c0d',
      model: 'claude-sonnet-4-5-20250929',
      turns: 7,
      costUsd: 0.1834,
      usage: { inputTokens: 42 + 5120 + 80311, cachedInputTokens: 80311, outputTokens: 1893 },
      promiseSeen: true,
      isError: false,
      failureClass: null,
      failureMessage: null,
      lastLine: '<promise>COMPLETE</promise>',
    });
    // The DevNote inside a tool result (a file the agent read) is not the agent's note.
    expect(parsed.devNotes).toEqual([
      { category: 'decision', content: 'kept the parser pure so it can be unit tested' },
      { category: 'discovery', content: 'the fixtures directory did not exist yet' },
    ]);
    expect(classifyExit(parsed, 0, null)).toBeNull();
  });

  it('reports the last tool use as the last line', () => {
    const parsed = parse(
      jsonl(init, say('Looking.'), {
        type: 'assistant',
        message: { content: [{ type: 'tool_use', name: 'Bash', input: { command: 'ls' } }] },
      }),
    );
    expect(parsed.lastLine).toBe('tool: Bash');
  });

  it('does not take the promise from tool output that quotes the prompt', () => {
    const toolResult = {
      type: 'user',
      message: { content: [{ type: 'tool_result', content: 'print <promise>COMPLETE</promise> when done' }] },
    };
    expect(parse(jsonl(init, toolResult, result({ result: 'Still working.' }))).promiseSeen).toBe(false);
  });

  it('finds the promise in the final result text', () => {
    expect(parse(jsonl(init, result({ result: 'Done.\n<promise>COMPLETE</promise>' }))).promiseSeen).toBe(
      true,
    );
  });

  it('ignores a promise with different text', () => {
    expect(parse(jsonl(init, say('<promise>NOT YET</promise>'))).promiseSeen).toBe(false);
  });

  it('classifies max turns as transient', () => {
    const parsed = parse(fixture('claude-error-max-turns.jsonl'));
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'transient',
      turns: 25,
      costUsd: 1.2473,
      model: 'claude-opus-4-1-20250805',
    });
    expect(parsed.failureMessage).toMatch(/max turns reached/);
    expect(parsed.failureMessage).toContain('25');
    expect(classifyExit(parsed, 0, null)).toBe('transient');
  });

  it('classifies the budget stop', () => {
    const parsed = parse(fixture('claude-budget.jsonl'));
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'budget-exceeded',
      costUsd: 5.0213,
      turns: 41,
    });
    expect(parsed.failureMessage).toContain('5.02');
    expect(classifyExit(parsed, 1, null)).toBe('budget-exceeded');
  });

  it('classifies a run that ended on denied permissions', () => {
    const parsed = parse(fixture('claude-permission-denied.jsonl'));
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'permission-blocked',
      sessionId: 'd3e4f5a6-3333-4d4e-8f5a-000000000030',
    });
    expect(parsed.failureMessage).toMatch(/permission denied for Write, Bash/);
    // Exit 0 and no is_error from the agent, but it did no work: still a failure.
    expect(classifyExit(parsed, 0, null)).toBe('permission-blocked');
  });

  it('does not call a run blocked when it finished despite a denial', () => {
    const denial = { tool_name: 'WebFetch', tool_use_id: 't1', tool_input: {} };
    const parsed = parse(
      jsonl(
        init,
        say('Done without fetching.\n<promise>COMPLETE</promise>'),
        result({
          result: 'Done without fetching.\n<promise>COMPLETE</promise>',
          permission_denials: [denial],
        }),
      ),
    );
    expect(parsed.failureClass).toBeNull();
    expect(parsed.isError).toBe(false);
  });

  it('calls an error result with denials blocked', () => {
    const denial = { tool_name: 'Edit', tool_use_id: 't1', tool_input: {} };
    const parsed = parse(
      jsonl(
        init,
        result({ subtype: 'error_during_execution', is_error: true, permission_denials: [denial] }),
      ),
    );
    expect(parsed.failureClass).toBe('permission-blocked');
  });

  it('reads the usage limit notice and its epoch reset time', () => {
    const parsed = parse(fixture('claude-usage-limit.jsonl'));
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'rate-limited',
      resetAt: '2026-01-01T00:00:00.000Z',
    });
    // The notice comes as a "<synthetic>" message; the model stays the real one.
    expect(parsed.model).toBe('claude-sonnet-4-5-20250929');
    expect(classifyExit(parsed, 1, null)).toBe('rate-limited');
  });

  it.each([
    ['5-hour limit reached ∙ resets 3pm', '2025-11-21T15:00:00.000Z'],
    [
      'Claude usage limit reached. Your limit will reset at 3pm (America/New_York).',
      '2025-11-21T20:00:00.000Z',
    ],
    ["You've hit your limit · resets 5:00 PM (UTC)", '2025-11-21T17:00:00.000Z'],
    [
      'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"Rate limit reached"}}',
      null,
    ],
  ])('reads %j in an error result as rate-limited', (text, resetAt) => {
    const parsed = parse(jsonl(init, result({ is_error: true, result: text })));
    expect(parsed.failureClass).toBe('rate-limited');
    expect(parsed.resetAt).toBe(resetAt);
  });

  it('reads a limit notice reported without is_error', () => {
    const parsed = parse(jsonl(init, result({ result: 'Claude AI usage limit reached|1767225600' })));
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'rate-limited',
      resetAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('does not mistake a successful answer about rate limiting for a limit', () => {
    const text = 'Added rate limit middleware; requests over the limit get HTTP 429.';
    const parsed = parse(jsonl(init, say(text), result({ result: text })));
    expect(parsed.failureClass).toBeNull();
    expect(parsed.isError).toBe(false);
  });

  it('classifies other error results as transient with their message', () => {
    const parsed = parse(
      jsonl(
        init,
        result({
          subtype: 'error_during_execution',
          is_error: true,
          errors: ['API Error: 500 Internal server error'],
        }),
      ),
    );
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'transient',
      failureMessage: 'API Error: 500 Internal server error',
    });
  });

  it('uses a limit notice in plain output to explain a run that died without a result', () => {
    const parsed = parse(jsonl(init) + '\nError: Claude AI usage limit reached|1767225600');
    expect(parsed).toMatchObject({
      isError: false,
      failureClass: 'rate-limited',
      resetAt: '2026-01-01T00:00:00.000Z',
    });
    expect(classifyExit(parsed, 1, null)).toBe('rate-limited');
    expect(classifyExit(parsed, 0, null)).toBeNull();
  });

  it('forgets a plain-output notice once a successful result arrives', () => {
    const parser = agent.parser(context());
    parser.line('rate limit exceeded, retrying', 'stderr');
    feed(parser, jsonl(init, result({ result: 'ok' })));
    expect(parser.result().failureClass).toBeNull();
  });

  it('treats non-JSON and truncated JSON as text', () => {
    const parsed = parse(
      [
        'not json at all',
        'DEVNOTE blocker: the build server is down',
        '{"type":"assistant","message":{"content":[{"type":"text","text":"cut',
      ].join('\n'),
    );
    expect(parsed.devNotes).toEqual([{ category: 'blocker', content: 'the build server is down' }]);
    expect(parsed.lastLine).toContain('"type":"assistant"');
    expect(parsed.isError).toBe(false);
  });

  it('redacts secrets in what it reports', () => {
    const key = `sk-ant-api03-${'x'.repeat(40)}`;
    const parsed = parse(
      jsonl(init, say(`DEVNOTE discovery: the key is ${key}\nexport ANTHROPIC_API_KEY=${key}`)),
    );
    expect(parsed.lastLine).toBe('export ANTHROPIC_API_KEY=[REDACTED]');
    expect(parsed.devNotes[0]?.content).toBe('the key is [REDACTED]');
  });

  it('hands out a copy that later lines do not change', () => {
    const parser = agent.parser(context());
    parser.line(JSON.stringify(say('DEVNOTE decision: one')), 'stdout');
    const first = parser.result();
    parser.line(JSON.stringify(say('DEVNOTE decision: two')), 'stdout');
    expect(first.devNotes).toHaveLength(1);
    expect(parser.result().devNotes).toHaveLength(2);
  });
});

/** Output of the real claude 2.1.197, captured against the scripted endpoint (test/support/endpoints/anthropic.ts). */
describe('claude 2.1.197 as it really fails', () => {
  it('a refused API key is auth, with the fix, and never a retry', () => {
    const parsed = parse(fixture('claude-real-401.txt'));
    expect(parsed).toMatchObject({ isError: true, failureClass: 'auth', sessionGone: false });
    expect(parsed.failureMessage).toContain('Invalid API key');
    expect(parsed.failureMessage).toContain('run `claude /login` on the worker, or set ANTHROPIC_API_KEY');
    expect(classifyExit(parsed, 1, null)).toBe('auth');
  });

  it('no key at all is auth too', () => {
    const parsed = parse(fixture('claude-real-nokey.txt'));
    expect(parsed).toMatchObject({ failureClass: 'auth' });
    expect(parsed.failureMessage).toMatch(/^claude cannot log in \(Not logged in · Please run \/login\): run `claude \/login`/);
  });

  it('knows a login is refused from the second of its own retries, before any result', () => {
    const lines = fixture('claude-real-401-retry.txt').split('\n');
    const parser = agent.parser(context());
    parser.line(lines[0] as string, 'stdout');
    expect(parser.result().failureClass).toBeNull();
    parser.line(lines[1] as string, 'stdout');
    expect(parser.result()).toMatchObject({ failureClass: 'auth', isError: false });
    expect(parser.result().failureMessage).toContain('retried 2 times');
    // Killed there, it exits by a signal: the reading stands.
    expect(classifyExit(parser.result(), null, 'SIGTERM')).toBe('auth');
  });

  it('a retried overload is nobody’s business until it ends the run', () => {
    const retry = { type: 'system', subtype: 'api_retry', attempt: 5, error_status: 529, error: 'overloaded' };
    expect(parse(jsonl(init, retry, retry)).failureClass).toBeNull();
  });

  it('a 429 it gave up on is rate-limited, without a reset time (claude does not print one for API keys)', () => {
    const parsed = parse(fixture('claude-real-429.txt'));
    expect(parsed).toMatchObject({ failureClass: 'rate-limited', resetAt: null });
    expect(parsed.failureMessage).toContain('Request rejected (429)');
  });

  it('a 429 result with an unfamiliar message is still rate-limited', () => {
    const parsed = parse(jsonl(init, result({ is_error: true, api_error_status: 429, result: 'API Error: Request rejected · try later' })));
    expect(parsed.failureClass).toBe('rate-limited');
  });

  it('a resumed session that does not exist here is gone: the workflow starts a fresh one', () => {
    const parsed = parse(fixture('claude-real-gone.txt'));
    expect(parsed).toMatchObject({ sessionGone: true, failureClass: 'transient' });
    expect(parsed.failureMessage).toContain('No conversation found with session ID');
  });

  it('bypassPermissions refused as root goes to the person with both ways out', () => {
    const parsed = parse(fixture('claude-real-root.txt'), 'stderr');
    expect(parsed.failureClass).toBe('permission-blocked');
    expect(parsed.failureMessage).toContain('IS_SANDBOX=1');
    expect(parsed.failureMessage).toContain('non-root user');
    expect(classifyExit(parsed, 1, null)).toBe('permission-blocked');
  });
});
