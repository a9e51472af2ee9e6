import { classifyExit } from '../../../src/agents/classify';
import { geminiAgent } from '../../../src/agents/gemini';
import { clock, context, feed, fixture } from './feed';

const agent = geminiAgent({ now: clock });
const parse = (text: string, stream: 'stdout' | 'stderr' = 'stdout') =>
  feed(agent.parser(context()), text, stream);

describe('gemini argv', () => {
  it('asks for JSON output, trusts the worktree and lets the agent edit files', () => {
    expect(agent.name).toBe('gemini');
    expect(agent.supportsResume).toBe(false);
    expect(agent.argv(context())).toEqual([
      'gemini',
      '-p',
      'Build the plan',
      '--approval-mode',
      'auto_edit',
      '--skip-trust',
      '--output-format',
      'json',
    ]);
  });

  it('adds the model; --auto-approve is yolo (shell commands too)', () => {
    expect(agent.argv(context({ model: 'gemini-2.5-pro', autoApprove: true }))).toEqual([
      'gemini',
      '-p',
      'Build the plan',
      '--model',
      'gemini-2.5-pro',
      '--yolo',
      '--skip-trust',
      '--output-format',
      'json',
    ]);
  });

  it('a permission mode is the approval mode, and wins over --auto-approve', () => {
    const argv = agent.argv(context({ permissionMode: 'plan', autoApprove: true }));
    expect(argv.slice(3, 5)).toEqual(['--approval-mode', 'plan']);
    expect(argv).not.toContain('--yolo');
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
    });
    // Each model priced on its own: 2.5 pro (1.25 / 0.125 cached / 10) and 2.5 flash (0.30 / 0.03 / 2.50).
    const pro = ((24939 - 21263) * 1.25 + 21263 * 0.125 + (420 + 154) * 10) / 1e6;
    const flash = (1200 * 0.3 + 30 * 2.5) / 1e6;
    expect(parsed.costUsd).toBeCloseTo(pro + flash, 10);
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

  it('reads a real successful run: stderr notices are not the last line, the response is', () => {
    const parser = agent.parser(context({ completionPromise: 'DONE' }));
    for (const line of fixture('gemini-real-success.mixed.txt').split('\n')) {
      parser.line(line, line.startsWith('{') || line.startsWith(' ') || line === '}' ? 'stdout' : 'stderr');
    }
    const parsed = parser.result();
    expect(parsed).toMatchObject({
      sessionId: '75c543d8-7124-4ee4-a147-367cfb53888c',
      model: 'gemini-2.5-pro',
      usage: { inputTokens: 2000, cachedInputTokens: 0, outputTokens: 100 },
      promiseSeen: true,
      lastLine: 'All done <promise>DONE</promise>',
      failureClass: null,
    });
    expect(parsed.costUsd).toBeCloseTo((2000 * 1.25 + 100 * 10) / 1e6, 10);
  });
});

describe('gemini 0.61.0 failures, as the real CLI prints them', () => {
  const real = (name: string) => parse(fixture(name), 'stderr');

  it('a refused key (401, exit 145) is auth with the fix; the last line is the error, not the stack trace', () => {
    const parsed = real('gemini-real-401.stderr.txt');
    expect(parsed).toMatchObject({ isError: true, failureClass: 'auth', sessionId: '8a716c74-5b93-4a3c-bdcc-944aa45fc318' });
    expect(parsed.failureMessage).toContain('API key not valid. Please pass a valid API key.');
    expect(parsed.failureMessage).toContain('GEMINI_API_KEY');
    expect(parsed.failureMessage).toContain('`gemini`');
    expect(parsed.lastLine).toBe('API key not valid. Please pass a valid API key.');
    expect(classifyExit(parsed, 145, null)).toBe('auth');
  });

  it('no key (exit 41) and no auth method at all (exit 41) are auth', () => {
    const noKey = real('gemini-real-nokey.stderr.txt');
    expect(noKey).toMatchObject({ failureClass: 'auth', isError: true });
    expect(noKey.failureMessage).toMatch(/^gemini cannot log in: When using Gemini API, you must specify the GEMINI_API_KEY/);
    expect(classifyExit(noKey, 41, null)).toBe('auth');
    const none = real('gemini-real-nosettings.stderr.txt');
    expect(none.failureClass).toBe('auth');
    expect(none.failureMessage).toContain('Please set an Auth method');
  });

  it('exit 41 in text output (no document) is auth too', () => {
    const parsed = parse(
      'YOLO mode is enabled. All tool calls will be automatically approved.\nWhen using Gemini API, you must specify the GEMINI_API_KEY environment variable.\nUpdate your environment and try again (no reload needed if using .env)!',
      'stderr',
    );
    expect(classifyExit(parsed, 41, null)).toBe('auth');
    expect(parsed.failureMessage).toContain('set GEMINI_API_KEY');
  });

  it('a quota gemini will not retry (limit: 0, exit 173) is rate-limited until "Please retry in"', () => {
    const parsed = real('gemini-real-429.stderr.txt');
    expect(parsed).toMatchObject({ isError: true, failureClass: 'rate-limited', resetAt: '2025-11-21T10:00:06.500Z' });
    expect(parsed.lastLine).toMatch(/^You exceeded your current quota/);
    expect(classifyExit(parsed, 173, null)).toBe('rate-limited');
  });

  it('429s gemini retried ten times are rate-limited without a reset time', () => {
    const parsed = real('gemini-real-429-retried.stderr.txt');
    expect(parsed).toMatchObject({ failureClass: 'rate-limited', resetAt: null, lastLine: 'Resource has been exhausted (e.g. check quota).' });
  });

  it('an error document after other stderr output still wins over the stack trace', () => {
    const parsed = parse(['Error when talking to Gemini API', '    at main (file:///x.js:1:1) {', '  status: 500', '}', JSON.stringify({ error: { type: 'Error', message: 'Internal error', code: 500 } })].join('\n'), 'stderr');
    expect(parsed).toMatchObject({ failureClass: 'transient', lastLine: 'Internal error' });
  });

  it('without any document, the last meaningful stderr line is the last line, never a brace', () => {
    const parsed = parse('Something broke badly\n    at x (file:///a.js:1:1)\n  code: 7,\n}', 'stderr');
    expect(parsed.lastLine).toBe('Something broke badly');
  });

  it('a malformed response (exit 1) is transient, with the parse error as the message', () => {
    const parsed = real('gemini-real-malformed.stderr.txt');
    expect(parsed).toMatchObject({ isError: true, failureClass: 'transient' });
    expect(parsed.failureMessage).toContain('is not valid JSON');
    expect(classifyExit(parsed, 1, null)).toBe('transient');
  });
});
