import { aiderAgent } from '../../../src/agents/aider';
import { classifyExit } from '../../../src/agents/classify';
import { clock, context, feed, fixture } from './feed';

const agent = aiderAgent({ now: clock });
const parse = (text: string) => feed(agent.parser(context()), text);

describe('aider argv', () => {
  it('sends the prompt file non-interactively', () => {
    expect(agent.name).toBe('aider');
    expect(agent.supportsResume).toBe(false);
    expect(agent.argv(context())).toEqual([
      'aider',
      '--yes-always',
      '--no-pretty',
      '--message-file',
      '/tmp/nightshift/prompt.md',
    ]);
  });

  it('adds the model', () => {
    expect(agent.argv(context({ model: 'sonnet' }))).toEqual([
      'aider',
      '--yes-always',
      '--no-pretty',
      '--message-file',
      '/tmp/nightshift/prompt.md',
      '--model',
      'sonnet',
    ]);
  });
});

describe('aider text parser', () => {
  it('reads a session with a retried rate limit', () => {
    const parsed = parse(fixture('aider-output.txt'));
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
});
