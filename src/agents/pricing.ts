import type { Usage } from './types';

/**
 * Token prices for agents that report usage but not cost (codex). Prices drift and accounts get
 * discounts, so the table is configurable: pass your own to `codexAgent(prices)` (entries merge over
 * these defaults) or to `priceUsage`. Costs are estimates for budgets and reports, not invoices.
 */

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  cachedInput: number;
  output: number;
}

/** Model name (or name prefix) to price; the `default` entry prices models the table does not name. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

const GPT5: ModelPrice = { input: 1.25, cachedInput: 0.125, output: 10 };
const GPT5_MINI: ModelPrice = { input: 0.25, cachedInput: 0.025, output: 2 };

/** OpenAI list prices at the time of writing. */
export const DEFAULT_MODEL_PRICES: PriceTable = {
  default: GPT5,
  'gpt-5': GPT5,
  'gpt-5-codex': GPT5,
  'gpt-5.1': GPT5,
  'gpt-5.1-codex': GPT5,
  'gpt-5-mini': GPT5_MINI,
  'gpt-5-codex-mini': GPT5_MINI,
  'gpt-5.1-codex-mini': GPT5_MINI,
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  'codex-mini-latest': { input: 1.5, cachedInput: 0.375, output: 6 },
};

/**
 * The price for a model: its exact entry, else the longest entry its name starts with (dated or
 * suffixed names such as `gpt-5-codex-2025-09-15`), else `default`; null if the table has none.
 * A provider prefix (`openai/gpt-5`) is ignored.
 */
export function priceFor(model: string | null, table: PriceTable = DEFAULT_MODEL_PRICES): ModelPrice | null {
  const name = (model ?? '').toLowerCase().replace(/^[a-z0-9_-]+\//, '');
  if (name) {
    const exact = table[name];
    if (exact) return exact;
    let best: string | null = null;
    for (const key of Object.keys(table)) {
      if (
        key !== 'default' &&
        name.startsWith(key.toLowerCase()) &&
        (best === null || key.length > best.length)
      )
        best = key;
    }
    if (best !== null) return table[best] ?? null;
  }
  return table.default ?? null;
}

/**
 * USD for a usage report, or null when the table cannot price the model. `inputTokens` includes
 * the cached ones (as OpenAI reports them), so only the uncached remainder pays the full input price.
 */
export function priceUsage(
  model: string | null,
  usage: Usage,
  table: PriceTable = DEFAULT_MODEL_PRICES,
): number | null {
  const price = priceFor(model, table);
  if (!price) return null;
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const uncached = usage.inputTokens - cached;
  return (
    (uncached * price.input + cached * price.cachedInput + usage.outputTokens * price.output) / 1_000_000
  );
}

// ---------------------------------------------------------------------------------------------
// Gemini
// ---------------------------------------------------------------------------------------------

const GEMINI_3_PRO: ModelPrice = { input: 2, cachedInput: 0.2, output: 12 };
const GEMINI_3_FLASH: ModelPrice = { input: 0.5, cachedInput: 0.05, output: 3 };
const GEMINI_25_PRO: ModelPrice = { input: 1.25, cachedInput: 0.125, output: 10 };
const GEMINI_25_FLASH: ModelPrice = { input: 0.3, cachedInput: 0.03, output: 2.5 };
const GEMINI_25_FLASH_LITE: ModelPrice = { input: 0.1, cachedInput: 0.01, output: 0.4 };

/**
 * Gemini API paid-tier list prices for prompts up to 200k tokens, USD per million tokens, as in
 * litellm 1.81.10's model_prices_and_context_window.json (shipped with aider-chat 0.86.2), which
 * follows https://ai.google.dev/gemini-api/docs/pricing. Longer prompts cost more on the pro models
 * (2.5 pro: 2.50 in / 15 out; 3 pro: 4 / 18): estimates, like every price here. Gemini reports
 * `prompt` tokens including the cached ones, as OpenAI does, so `priceUsage` applies unchanged.
 */
export const GEMINI_MODEL_PRICES: PriceTable = {
  'gemini-3-pro': GEMINI_3_PRO,
  'gemini-3-flash': GEMINI_3_FLASH,
  'gemini-2.5-pro': GEMINI_25_PRO,
  'gemini-2.5-flash': GEMINI_25_FLASH,
  'gemini-2.5-flash-lite': GEMINI_25_FLASH_LITE,
  'gemini-flash-latest': GEMINI_25_FLASH,
  'gemini-flash-lite-latest': GEMINI_25_FLASH_LITE,
  'gemini-2.0-flash': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gemini-2.0-flash-lite': { input: 0.075, cachedInput: 0.01875, output: 0.3 },
};

/** Newer models than the table knows (gemini-cli picks them: `gemini-3.1-pro-preview`) cost what the newest of their tier does. */
const GEMINI_TIERS: [RegExp, ModelPrice][] = [
  [/flash-lite/, GEMINI_25_FLASH_LITE],
  [/flash/, GEMINI_3_FLASH],
  [/pro/, GEMINI_3_PRO],
];

/**
 * USD for one Gemini model's usage: the table's entry (exact or longest prefix, or its `default`),
 * else the newest price of the model's tier (pro, flash, flash-lite); null for a model of no known tier.
 */
export function priceGemini(model: string, usage: Usage, table: PriceTable = GEMINI_MODEL_PRICES): number | null {
  const name = model.toLowerCase().replace(/^[a-z0-9_-]+\//, '');
  const price = priceFor(name, table) ?? GEMINI_TIERS.find(([tier]) => tier.test(name))?.[1] ?? null;
  return price ? priceUsage(name, usage, { [name]: price }) : null;
}
