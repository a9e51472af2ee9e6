import { DEFAULT_MODEL_PRICES, priceFor, priceGemini, priceUsage } from '../../../src/agents/pricing';

const usage = (inputTokens: number, cachedInputTokens: number, outputTokens: number) => ({
  inputTokens,
  cachedInputTokens,
  outputTokens,
});

describe('pricing', () => {
  it('charges cached input at the cached price and the rest at the input price', () => {
    const table = { m: { input: 2, cachedInput: 0.5, output: 8 } };
    // 600k uncached * $2 + 400k cached * $0.5 + 100k out * $8, per million.
    expect(priceUsage('m', usage(1_000_000, 400_000, 100_000), table)).toBeCloseTo(1.2 + 0.2 + 0.8, 10);
  });

  it('never charges negative input when cached exceeds input', () => {
    const table = { m: { input: 2, cachedInput: 0.5, output: 8 } };
    expect(priceUsage('m', usage(100, 1_000_000, 0), table)).toBeCloseTo((100 * 0.5) / 1e6, 12);
  });

  it('matches dated and provider-prefixed names to the longest entry', () => {
    expect(priceFor('gpt-5-codex-2025-09-15')).toBe(DEFAULT_MODEL_PRICES['gpt-5-codex']);
    expect(priceFor('gpt-5-mini-2025-08-07')).toBe(DEFAULT_MODEL_PRICES['gpt-5-mini']);
    expect(priceFor('openai/o4-mini')).toBe(DEFAULT_MODEL_PRICES['o4-mini']);
  });

  it('falls back to the default entry, or null without one', () => {
    expect(priceFor('some-new-model')).toBe(DEFAULT_MODEL_PRICES.default);
    expect(priceFor(null)).toBe(DEFAULT_MODEL_PRICES.default);
    expect(priceUsage('unknown', usage(1, 0, 1), { m: { input: 1, cachedInput: 1, output: 1 } })).toBeNull();
  });
});

describe('gemini prices', () => {
  const usage = { inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 100_000 };

  it('prices known models, dated or provider-prefixed names by their family', () => {
    // 2.5 pro: 0.6M uncached at 1.25, 0.4M cached at 0.125, 0.1M out at 10.
    expect(priceGemini('gemini-2.5-pro', usage)).toBeCloseTo(0.75 + 0.05 + 1, 10);
    expect(priceGemini('gemini/gemini-2.5-flash-lite-preview-09-2025', usage)).toBeCloseTo(0.06 + 0.004 + 0.04, 10);
    expect(priceGemini('gemini-2.5-flash', usage)).toBeCloseTo(0.18 + 0.012 + 0.25, 10);
  });

  it('prices newer models than the table knows at the newest price of their tier', () => {
    expect(priceGemini('gemini-3.1-pro-preview', usage)).toBe(priceGemini('gemini-3-pro-preview', usage));
    expect(priceGemini('gemini-3.5-flash-lite', usage)).toBe(priceGemini('gemini-2.5-flash-lite', usage));
    expect(priceGemini('gemini-3.8-flash', usage)).toBe(priceGemini('gemini-3-flash-preview', usage));
    expect(priceGemini('gemma-3-27b-it', usage)).toBeNull();
  });

  it('a table of your own wins', () => {
    expect(priceGemini('gemini-2.5-pro', usage, { 'gemini-2.5-pro': { input: 0, cachedInput: 0, output: 1 } })).toBeCloseTo(0.1, 10);
  });
});
