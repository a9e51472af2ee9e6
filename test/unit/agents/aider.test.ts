import { AiderModelMissingError, aiderAgent } from '../../../src/agents/aider';
import { classifyExit } from '../../../src/agents/classify';
import { AgentSpecSchema } from '../../../src/model/request';
import { clock, context, feed, fixture } from './feed';

const agent = aiderAgent({ now: clock });
const parse = (text: string, model = 'openai/gpt-4o-mini') => feed(agent.parser(context({ model, completionPromise: 'DONE' })), text);

describe('aider argv', () => {
  it('sends the prompt file non-interactively, with the model, and leaves commits and the worktree to Nightshift', () => {
    expect(agent.name).toBe('aider');
    expect(agent.supportsResume).toBe(false);
    const argv = agent.argv(context({ model: 'sonnet', promptFile: '/tmp/ns/sessions/session-003.prompt.md' }));
    expect(argv.slice(0, 3)).toEqual(['aider', '--model', 'sonnet']);
    expect(argv.slice(-2)).toEqual(['--message-file', '/tmp/ns/sessions/session-003.prompt.md']);
    expect(argv).toEqual(
      expect.arrayContaining(['--yes-always', '--no-pretty', '--no-stream', '--no-auto-commits', '--no-dirty-commits', '--no-gitignore', '--no-check-update', '--analytics-disable', '--no-detect-urls']),
    );
    const after = (flag: string) => argv[argv.indexOf(flag) + 1];
    expect(after('--chat-history-file')).toBe('/dev/null');
    expect(after('--input-history-file')).toBe('/dev/null');
  });

  it('is never started without a model: it would open a browser and wait', () => {
    expect(() => agent.argv(context())).toThrow(AiderModelMissingError);
    expect(() => agent.argv(context())).toThrow(/--model/);
    // Refused in the request already, naming the flag.
    const refused = AgentSpecSchema.safeParse({ kind: 'aider' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues).toEqual([expect.objectContaining({ path: ['model'], message: expect.stringContaining('--agent aider needs --model') })]);
    expect(AgentSpecSchema.safeParse({ kind: 'aider', model: 'sonnet' }).success).toBe(true);
  });

  it('asks for a wide console and a git identity of its own, and names its repo-map cache as scratch', () => {
    expect(agent.env?.(context({ model: 'sonnet' }))).toMatchObject({
      COLUMNS: expect.stringMatching(/^\d{4,}$/),
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'user.name',
      GIT_CONFIG_KEY_1: 'user.email',
    });
    expect(agent.scratchPaths).toEqual(['.aider.tags.cache.v4']);
  });
});

describe('aider text parser', () => {
  it('reads a session with a retried rate limit', () => {
    const parsed = feed(agent.parser(context({ model: 'sonnet' })), fixture('aider-output.txt'));
    expect(parsed).toMatchObject({
      model: 'anthropic/claude-sonnet-4-20250514',
      costUsd: 0.2,
      turns: 2,
      usage: { inputTokens: 4100 + 12000, cachedInputTokens: 1100, outputTokens: 1200 + 845 },
      promiseSeen: true,
      // The rate limit was retried and a reply followed, so the session did not fail.
      isError: false,
      failureClass: null,
      // Aider's own token report is bookkeeping, not the agent's last word.
      lastLine: '<promise>COMPLETE</promise>',
    });
    expect(parsed.devNotes.map((n) => n.category)).toEqual(['decision', 'resolution']);
    expect(classifyExit(parsed, 0, null)).toBeNull();
  });

  it('takes the session cost, not the sum of message costs', () => {
    const parsed = parse(
      'Tokens: 1k sent, 10 received. Cost: $0.40 message, $1.40 session.\nTokens: 1k sent, 10 received. Cost: $0.60 message, $2.00 session.',
    );
    expect(parsed.costUsd).toBe(2);
  });

  it('reads M and plain token counts, with or without a cost', () => {
    const parsed = parse('Tokens: 1.5M sent, 845 received.');
    expect(parsed.usage).toEqual({ inputTokens: 1_500_000, cachedInputTokens: 0, outputTokens: 845 });
    expect(parsed.costUsd).toBeNull();
  });

  it('fails a session that ends on a rate limit (aider still exits 0)', () => {
    const parsed = parse(
      [
        'Tokens: 2k sent, 100 received. Cost: $0.01 message, $0.01 session.',
        'litellm.RateLimitError: RateLimitError: OpenAIException - You exceeded your current quota. Please try again in 20s.',
        'The API provider has rate limited you. Try again later or check your quotas.',
      ].join('\n'),
    );
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'rate-limited',
      resetAt: '2025-11-21T10:00:20.000Z',
    });
    expect(classifyExit(parsed, 0, null)).toBe('rate-limited');
  });

  it('fails a session that ends on another API error as transient', () => {
    const parsed = parse('litellm.APIConnectionError: Connection error.');
    expect(parsed).toMatchObject({
      isError: true,
      failureClass: 'transient',
      failureMessage: 'litellm.APIConnectionError: Connection error.',
    });
  });

  it('joins a token report a narrow console wrapped, and a cost on a line of its own', () => {
    const wrapped = parse('Tokens: 12k sent, 2.3k cache write, 1.1k cache hit, 845\nreceived. Cost: $0.05 message, $0.20\nsession.\n\nApplied edit to a.ts');
    expect(wrapped).toMatchObject({ costUsd: 0.2, usage: { inputTokens: 12000, cachedInputTokens: 1100, outputTokens: 845 }, turns: 1 });
    const ownLine = parse('Tokens: 12k sent, 2.3k cache write, 1.1k cache hit, 845 received.\nCost: $0.05 message, $0.20 session.');
    expect(ownLine.costUsd).toBe(0.2);
    const noCost = parse('Tokens: 852 sent, 26 received.\n\nhello.txt\nApplied edit to hello.txt');
    expect(noCost).toMatchObject({ costUsd: null, usage: { inputTokens: 852, outputTokens: 26 } });
  });

  it('a report still waiting for its cost line is read mid-session and completed later', () => {
    const parser = agent.parser(context({ model: 'sonnet' }));
    parser.line('Tokens: 12k sent, 2.3k cache write, 1.1k cache hit, 845 received.', 'stdout');
    expect(parser.result()).toMatchObject({ turns: 1, costUsd: null });
    parser.line('Cost: $0.05 message, $0.20 session.', 'stdout');
    expect(parser.result()).toMatchObject({ turns: 1, costUsd: 0.2 });
  });
});

describe('aider 0.86.2 as the real CLI prints it', () => {
  it('a session: the reply is the last line, not the bookkeeping after it; tokens and cost read', () => {
    const parsed = parse(fixture('aider-real-success.txt'));
    expect(parsed).toMatchObject({
      model: 'openai/gpt-4o-mini',
      usage: { inputTokens: 12000, cachedInputTokens: 0, outputTokens: 678 },
      costUsd: 0.0023,
      turns: 1,
      promiseSeen: true,
      lastLine: 'All done <promise>DONE</promise>',
      failureClass: null,
      devNotes: [{ category: 'decision', content: 'wrote the file hello.txt with a greeting because the plan asked for a friendly greeting in the repository root' }],
    });
    expect(classifyExit(parsed, 0, null)).toBeNull();
  });

  it('a refused key (exit 0) is auth, with the key variable of the model provider to set', () => {
    const parsed = parse(fixture('aider-real-401.txt'));
    expect(parsed).toMatchObject({ isError: true, failureClass: 'auth' });
    expect(parsed.failureMessage).toMatch(/^aider cannot log in: litellm\.AuthenticationError: .*Incorrect API key provided/);
    expect(parsed.failureMessage).toContain('set OPENAI_API_KEY for the worker');
    expect(parsed.lastLine).toBe(parsed.failureMessage);
    expect(classifyExit(parsed, 0, null)).toBe('auth');
    expect(parse(fixture('aider-real-401-narrow.txt')).failureClass).toBe('auth');
    expect(parse(fixture('aider-real-401.txt'), 'sonnet').failureMessage).toContain('set ANTHROPIC_API_KEY');
  });

  it('a missing key names the variable aider itself found unset', () => {
    const parsed = parse(fixture('aider-real-nokey.txt'), 'some-unknown-model');
    expect(parsed.failureClass).toBe('auth');
    expect(parsed.failureMessage).toContain('set OPENAI_API_KEY for the worker');
  });

  it('gave up on a rate limit after its own retries: rate-limited; wrapped at 80 columns the reset is lost, so aider runs wide', () => {
    const parsed = parse(fixture('aider-real-429-narrow.txt'));
    expect(parsed).toMatchObject({ isError: true, failureClass: 'rate-limited' });
    expect(classifyExit(parsed, 0, null)).toBe('rate-limited');
    const wide = parse(
      'litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for gpt-4o-mini. Please try again in 7s.\nThe API provider has rate limited you. Try again later or check your quotas.\n',
    );
    expect(wide.resetAt).toBe('2025-11-21T10:00:07.000Z');
  });

  it('a malformed reply aider gave up on (after its own retries; exit 0) is transient', () => {
    const parsed = parse(fixture('aider-real-malformed.txt'));
    expect(parsed).toMatchObject({ isError: true, failureClass: 'transient' });
    expect(parsed.failureMessage).toMatch(/^litellm\.InternalServerError: .*Expecting value/);
    expect(classifyExit(parsed, 0, null)).toBe('transient');
  });

  it('started without a model anyway (waiting for a browser login): auth at once, so the session stops it', () => {
    const parsed = parse(fixture('aider-real-nomodel.txt'));
    expect(parsed).toMatchObject({ isError: true, failureClass: 'auth' });
    expect(parsed.failureMessage).toMatch(/^aider has no model: .*pass --model/);
  });
});
