import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './repo';

/**
 * A HOME of its own for one aider test, pointing the real aider at a scripted Chat Completions
 * endpoint (`--model openai/<name>` with OPENAI_API_BASE). Aider fetches model prices from GitHub
 * when its cache (`~/.aider/caches/model_prices_and_context_window.json`) is missing or a day old,
 * and litellm does at import: the cache is seeded from the litellm inside aider's venv and
 * LITELLM_LOCAL_MODEL_COST_MAP keeps litellm local, so both price from the table that ships with the
 * pinned version. A proxy that refuses everything but 127.0.0.1 makes any request this forgot fail here.
 */

/** A model litellm prices: $0.15 per million input tokens, $0.60 per million output. */
export const AIDER_TEST_MODEL = 'openai/gpt-4o-mini';
export const GPT_4O_MINI_PRICE = { input: 0.15, output: 0.6 };

/** The real aider the global setup installed (or NIGHTSHIFT_TEST_AIDER_BIN set by hand). */
export function aiderBin(): string {
  const bin = process.env.NIGHTSHIFT_TEST_AIDER_BIN;
  if (!bin) throw new Error('NIGHTSHIFT_TEST_AIDER_BIN is not set: the global setup installs aider (src/agents/install.ts)');
  return bin;
}

/** litellm's price table in the venv next to the aider wrapper (src/agents/install.ts lays it out). */
function litellmPrices(): string {
  const lib = join(dirname(aiderBin()), 'venv', 'lib');
  const python = readdirSync(lib).find((d) => d.startsWith('python'));
  if (!python) throw new Error(`no python directory under ${lib}`);
  return join(lib, python, 'site-packages', 'litellm', 'model_prices_and_context_window_backup.json');
}

export function aiderHome(): string {
  const home = tempDir('aider-home');
  mkdirSync(join(home, '.aider', 'caches'), { recursive: true });
  copyFileSync(litellmPrices(), join(home, '.aider', 'caches', 'model_prices_and_context_window.json'));
  return home;
}

/** The plain settings an aider agent gets through the request (`--env`); the key comes from the worker. */
export function aiderAgentEnv(home: string, baseUrl: string): Record<string, string> {
  const dead = 'http://127.0.0.1:9';
  return {
    HOME: home,
    OPENAI_API_BASE: baseUrl,
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    HTTPS_PROXY: dead,
    HTTP_PROXY: dead,
    NO_PROXY: '127.0.0.1,localhost',
  };
}
