import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './repo';

/**
 * A HOME of its own for one gemini test, pointing the real Gemini CLI at a scripted endpoint:
 * `GOOGLE_GEMINI_BASE_URL` plus the API-key auth type in `~/.gemini/settings.json` (with a base URL
 * and no settings, gemini 0.61.0 picks its "gateway" auth and exits 41). Usage statistics,
 * telemetry and the update check are off, and a proxy that refuses everything but 127.0.0.1 makes
 * any request this config forgot fail here instead of reaching the internet.
 */

/** A model gemini-cli 0.61.0 knows; `--model` keeps it from routing through a classifier model first. */
export const GEMINI_TEST_MODEL = 'gemini-2.5-pro';

/** Gemini 2.5 pro, USD per million tokens (src/agents/pricing.ts). */
export const GEMINI_25_PRO_PRICE = { input: 1.25, cachedInput: 0.125, output: 10 };

export function geminiHome(): string {
  const home = tempDir('gemini-home');
  mkdirSync(join(home, '.gemini'), { recursive: true });
  const settings = {
    security: { auth: { selectedType: 'gemini-api-key' } },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  };
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify(settings, null, 2));
  return home;
}

/** The plain settings a gemini agent gets through the request (`--env`); the key comes from the worker. */
export function geminiAgentEnv(home: string, baseUrl: string): Record<string, string> {
  const dead = 'http://127.0.0.1:9';
  return { HOME: home, GOOGLE_GEMINI_BASE_URL: baseUrl, HTTPS_PROXY: dead, HTTP_PROXY: dead, NO_PROXY: '127.0.0.1,localhost' };
}

/** The real gemini the global setup installed (or NIGHTSHIFT_TEST_GEMINI_BIN set by hand). */
export function geminiBin(): string {
  const bin = process.env.NIGHTSHIFT_TEST_GEMINI_BIN;
  if (!bin) throw new Error('NIGHTSHIFT_TEST_GEMINI_BIN is not set: the global setup installs gemini (src/agents/install.ts)');
  return bin;
}
