import { classifyExit } from '../../../src/agents/classify';
import { geminiAgent } from '../../../src/agents/gemini';
import { clock, context, feed, fixture } from './feed';

const agent = geminiAgent({ now: clock });
const parse = (text: string, stream: 'stdout' | 'stderr' = 'stdout') =>
  feed(agent.parser(context()), text, stream);

describe('gemini argv', () => {
  it('asks for JSON output', () => {
    expect(agent.name).toBe('gemini');
    expect(agent.supportsResume).toBe(false);
    expect(agent.argv(context())).toEqual(['gemini', '-p', 'Build the plan', '--output-format', 'json']);
  });

  it('adds the model and yolo', () => {
    expect(agent.argv(context({ model: 'gemini-2.5-pro', autoApprove: true }))).toEqual([
      'gemini',
      '-p',
      'Build the plan',
      '--model',
      'gemini-2.5-pro',
      '--yolo',
      '--output-format',
      'json',
    ]);
  });

  it('keeps a dash-leading prompt a value', () => {
    expect(agent.argv(context({ prompt: '-x is ignored' }))[1]).toBe('--prompt=-x is ignored');
  });
});

describe('gemini parser', () => {
  it('reads the pretty-printed JSON document', () => {
    const parsed = parse(fixture('gemini-output.json'));
    expect(parsed).toMatchObject({
      sessionId: '9a8b7c6d-5e4f-4321-8765-0fedcba98765',
      model: 'gemini-2.5-pro',
      usage: { inputTokens: 24939 + 1200, cachedInputTokens: 21263, outputTokens: 420 + 154 + 30 },
      promiseSeen: true,
      lastLine: '<promise>COMPLETE</promise>',
      isError: false,
      failureClass: null,
      costUsd: null,
    });
    expect(parsed.devNotes).toEqual([
      { category: 'discovery', content: 'the config loader caches results per process' },
    ]);
  });

  it('reads the document only once it is complete', () => {
    const parser = agent.parser(context());
    const lines = fixture('gemini-output.json').split('\n');
    for (const line of lines.slice(0, 8)) parser.line(line, 'stdout');
    expect(parser.result()).toMatchObject({ devNotes: [], usage: null, model: null, sessionId: null });
    for (const line of lines.slice(8)) parser.line(line, 'stdout');
    expect(parser.result()).toMatchObject({
      model: 'gemini-2.5-pro',
      sessionId: '9a8b7c6d-5e4f-4321-8765-0fedcba98765',
    });
    expect(parser.result().devNotes).toHaveLength(1);
  });

  it('reads text around the document', () => {
    const text = `Loaded cached credentials.\n${fixture('gemini-output.json').trim()}\nDEVNOTE blocker: printed after the document`;
    const parsed = parse(text);
    expect(parsed.devNotes.map((n) => n.category)).toEqual(['discovery', 'blocker']);
    expect(parsed.usage?.inputTokens).toBe(26139);
  });

  it('reads a rate-limit error document from stderr', () => {
    const doc = JSON.stringify(
      {
        error: {
          type: 'Error',
          message:
            '[API Error: You have exhausted your capacity on this model. Your quota will reset after 2h30m.]',
          code: 429,
        },
      },
      null,
      2,
    );
    const parsed = parse(doc, 'stderr');
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'rate-limited',
      resetAt: '2025-11-21T12:30:00.000Z',
    });
  });

  it('reads other error documents as transient', () => {
    const parsed = parse(
      JSON.stringify({ error: { type: 'ApiError', message: 'Internal error encountered.', code: 500 } }),
      'stderr',
    );
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'transient',
      failureMessage: 'Internal error encountered.',
    });
  });

  it('reads 429 retries in plain output as the reason for a failed exit', () => {
    const parsed = parse(fixture('gemini-429.txt'), 'stderr');
    expect(parsed).toMatchObject({
      isError: false,
      failureClass: 'rate-limited',
      resetAt: '2025-11-21T10:00:37.500Z',
    });
    expect(classifyExit(parsed, 1, null)).toBe('rate-limited');
    expect(classifyExit(parsed, 0, null)).toBeNull();
  });

  it('forgets retried 429s once a response arrives', () => {
    const parser = agent.parser(context());
    parser.line('Attempt 1 failed with status 429. Retrying with backoff...', 'stderr');
    feed(parser, fixture('gemini-output.json'));
    expect(parser.result().failureClass).toBeNull();
  });

  it('reads plain text output', () => {
    const parsed = parse('Working on it.\nDEVNOTE decision: kept the schema\n<promise>COMPLETE</promise>\n');
    expect(parsed).toMatchObject({
      promiseSeen: true,
      lastLine: '<promise>COMPLETE</promise>',
      devNotes: [{ category: 'decision', content: 'kept the schema' }],
    });
  });

  it('falls back to text for a truncated document', () => {
    const truncated = fixture('gemini-output.json').split('\n').slice(0, 3).join('\n');
    const parsed = parse(truncated);
    expect(parsed.usage).toBeNull();
    expect(parsed.lastLine).toContain('"response"');
  });
});
