import { classifyExit } from '../../../src/agents/classify';
import { codexAgent } from '../../../src/agents/codex';
import { clock, context, feed, fixture, jsonl } from './feed';

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

describe('codex argv', () => {
  it('runs exec with JSON events and the prompt last', () => {
    expect(agent.name).toBe('codex');
    expect(agent.supportsResume).toBe(true);
    expect(agent.argv(context())).toEqual(['codex', 'exec', '--json', 'Build the plan']);
  });

  it('adds the model and full-auto before the prompt', () => {
    expect(agent.argv(context({ model: 'gpt-5-codex', autoApprove: true }))).toEqual([
      'codex',
      'exec',
      '--json',
      '--model',
      'gpt-5-codex',
      '--full-auto',
      'Build the plan',
    ]);
  });

  it('resumes a thread by id', () => {
    expect(agent.argv(context({ resumeSessionId: '0199a213-81c0', model: 'o3' }))).toEqual([
      'codex',
      'exec',
      'resume',
      '0199a213-81c0',
      '--json',
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
  });

  it('accumulates usage and turns across turns', () => {
    const parsed = parse(jsonl(started, turn, completed(100, 40, 10), turn, completed(200, 50, 20)));
    expect(parsed.turns).toBe(2);
    expect(parsed.usage).toEqual({ inputTokens: 300, cachedInputTokens: 90, outputTokens: 30 });
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
});
