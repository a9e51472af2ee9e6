import { addUsage } from '../../src/agents/types';
import { tokensNote } from '../../src/client/tokens';

describe('tokens', () => {
  it('adds usage, treating missing, negative and non-finite counts as zero', () => {
    expect(addUsage(undefined, null)).toEqual({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 });
    const one = { inputTokens: 1200, outputTokens: 30, cachedInputTokens: 1000 };
    expect(addUsage(addUsage(undefined, one), one)).toEqual({ inputTokens: 2400, outputTokens: 60, cachedInputTokens: 2000 });
    expect(addUsage(one, { inputTokens: Number.NaN, outputTokens: -5, cachedInputTokens: Infinity })).toEqual(one);
  });

  it('shows tokens on the cost line only when an agent reported some', () => {
    expect(tokensNote(undefined)).toBe('');
    expect(tokensNote({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 })).toBe('');
    expect(tokensNote({ inputTokens: 12345, outputTokens: 678, cachedInputTokens: 10000 })).toBe(' · 12,345 tokens in (10,000 cached), 678 out');
    expect(tokensNote({ inputTokens: 5, outputTokens: 1, cachedInputTokens: 0 })).toBe(' · 5 tokens in, 1 out');
  });
});
