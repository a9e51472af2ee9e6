import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../../src/server/temporalCli';

/**
 * A CODEX_HOME of its own for one test, pointing the real codex at a scripted endpoint. Codex ignores
 * OPENAI_BASE_URL: it needs a `model_provider` with `base_url`, `env_key` and `wire_api = "responses"`.
 * Retries are off and the idle timeout short so failures show in seconds (Nightshift itself only
 * turns off codex's unbounded "waiting for network" retries); plugins (which fetch from github.com),
 * analytics and the update check are off so nothing reaches past 127.0.0.1.
 */

/** The variable the scripted provider reads its API key from; the worker hands it to agents. */
export const CODEX_KEY_VAR = 'SCRIPTED_OPENAI_API_KEY';

/** A model codex 0.171.0 has metadata for (it offers `apply_patch`); priced as gpt-5 by prefix. */
export const CODEX_TEST_MODEL = 'gpt-5.5';

export interface CodexHomeOptions {
  /** `builtin`: the built-in `openai` provider (its login, no env key) with `openai_base_url` redirected. */
  provider?: 'scripted' | 'builtin';
  idleTimeoutMs?: number;
}

/**
 * Where test homes go. Not under the temp dir: codex refuses to put its sandbox helper
 * (`codex-linux-sandbox`) in a CODEX_HOME there, and where bubblewrap is installed every sandboxed
 * command then fails (`bwrap: execvp codex-linux-sandbox: No such file or directory`).
 */
function homesDir(): string {
  const cache = join(cacheDir(), 'test-codex-homes');
  return cache.startsWith(tmpdir()) ? join(homedir(), '.nightshift-test-codex-homes') : cache;
}

const made: string[] = [];

export function codexHome(baseUrl: string, options: CodexHomeOptions = {}): string {
  mkdirSync(homesDir(), { recursive: true });
  const home = mkdtempSync(join(homesDir(), `${process.pid}-`));
  made.push(home);
  const common = [
    `model = "${CODEX_TEST_MODEL}"`,
    'check_for_update_on_startup = false',
    '',
    '[features]',
    'plugins = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
  ];
  const provider =
    options.provider === 'builtin'
      ? [`openai_base_url = "${baseUrl}"`]
      : [
          'model_provider = "scripted"',
          '',
          '[model_providers.scripted]',
          'name = "scripted endpoint"',
          `base_url = "${baseUrl}"`,
          `env_key = "${CODEX_KEY_VAR}"`,
          'wire_api = "responses"',
          'request_max_retries = 0',
          'stream_max_retries = 0',
          `stream_idle_timeout_ms = ${options.idleTimeoutMs ?? 3000}`,
        ];
  // Top-level keys must come before the first table.
  const text = options.provider === 'builtin' ? [...provider, ...common] : [provider[0] as string, ...common, ...provider.slice(1)];
  writeFileSync(join(home, 'config.toml'), `${text.join('\n')}\n`);
  return home;
}

/**
 * The plain settings a codex agent gets through the request (`--env`): its home, and a proxy that
 * refuses everything but 127.0.0.1, so a request this config forgot to turn off fails here instead
 * of reaching the internet.
 */
export function codexAgentEnv(home: string): Record<string, string> {
  const dead = 'http://127.0.0.1:9';
  return { CODEX_HOME: home, HTTPS_PROXY: dead, HTTP_PROXY: dead, ALL_PROXY: dead, NO_PROXY: '127.0.0.1,localhost' };
}

/** The real codex binary the global setup installed (or NIGHTSHIFT_TEST_CODEX_BIN set by hand). */
export function codexBin(): string {
  const bin = process.env.NIGHTSHIFT_TEST_CODEX_BIN;
  if (!bin) throw new Error('NIGHTSHIFT_TEST_CODEX_BIN is not set: the global setup installs codex (src/agents/install.ts)');
  return bin;
}

/** Removes the homes this process made (they hold codex's sessions and logs). */
export function removeCodexHomes(): void {
  for (const home of made.splice(0)) rmSync(home, { recursive: true, force: true });
}
