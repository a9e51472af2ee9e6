import { join } from 'node:path';
import type { AgentCliName } from '../../agents/cliVersions';

/**
 * Whether an agent CLI has credentials, decided without running a model: environment variables,
 * login files, and (codex) `codex login status`. Pure: the caller hands in the environment the
 * agent will get, the home directory and a way to read files, so tests use a fake HOME.
 */
export interface CredentialContext {
  /** The environment the agent will run with: the worker's plus its agent env file. */
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readText(path: string): string | undefined;
  /** codex: what `codex login status` answered, when codex could be run. */
  codexLoginStatus?: { code: number; output: string };
  /** aider: the model builds will pass with --model, when the person named one. */
  model?: string;
}

export interface Finding {
  ok: boolean;
  detail: string;
  /** The one command (or setting) that fixes a miss; null when nothing needs fixing. */
  fix: string | null;
}

const ENV_FILE_HINT = 'in the worker\'s environment or its NIGHTSHIFT_AGENT_ENV_FILE';

const ok = (detail: string): Finding => ({ ok: true, detail, fix: null });
const miss = (detail: string, fix: string): Finding => ({ ok: false, detail, fix });

function firstSet(env: CredentialContext['env'], names: readonly string[]): string | undefined {
  return names.find((n) => (env[n] ?? '').trim() !== '');
}

/** A JSON login file: present and parseable with something in it. */
function loginFile(ctx: CredentialContext, path: string): 'ok' | 'missing' | 'bad' {
  const text = ctx.readText(path);
  if (text === undefined) return 'missing';
  try {
    const json = JSON.parse(text) as unknown;
    return json && typeof json === 'object' && Object.keys(json).length > 0 ? 'ok' : 'bad';
  } catch {
    return 'bad';
  }
}

export function claudeCredentials(ctx: CredentialContext): Finding {
  const key = firstSet(ctx.env, ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_AUTH_TOKEN']);
  if (key) return ok(`${key} is set`);
  if (firstSet(ctx.env, ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX'])) return ok('uses Bedrock or Vertex (cloud credentials not checked)');
  const dir = ctx.env.CLAUDE_CONFIG_DIR?.trim() || join(ctx.home, '.claude');
  const file = join(dir, '.credentials.json');
  const state = loginFile(ctx, file);
  if (state === 'ok') return ok(`logged in (${file})`);
  if (state === 'bad') return miss(`${file} is empty or not JSON`, 'claude /login');
  return miss(`no ANTHROPIC_API_KEY and no login in ${dir}`, `claude /login   (or ANTHROPIC_API_KEY ${ENV_FILE_HINT})`);
}

export function codexCredentials(ctx: CredentialContext): Finding {
  // codex 0.171 reads CODEX_API_KEY; for its built-in provider it ignores OPENAI_API_KEY (tested).
  const key = firstSet(ctx.env, ['CODEX_API_KEY']);
  if (key) return ok(`${key} is set`);
  const fix = `codex login   (or: printenv OPENAI_API_KEY | codex login --with-api-key, or CODEX_API_KEY ${ENV_FILE_HINT})`;
  const status = ctx.codexLoginStatus;
  // Its answer may follow warnings (a CODEX_HOME that does not exist yet): keep the line about the login.
  const lines = (status?.output ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const said = lines.find((l) => /logged in|not logged|api key/i.test(l)) ?? lines.find((l) => !/^warning/i.test(l)) ?? lines[0];
  if (status) return status.code === 0 ? ok(`codex login status: ${said || 'logged in'}`) : miss(`codex login status: ${said || `exit ${status.code}`}`, fix);
  const dir = ctx.env.CODEX_HOME?.trim() || join(ctx.home, '.codex');
  const file = join(dir, 'auth.json');
  const state = loginFile(ctx, file);
  if (state === 'ok') return ok(`logged in (${file})`);
  const ignored = ctx.env.OPENAI_API_KEY?.trim() ? ' (OPENAI_API_KEY is set, but codex does not read it for its own provider)' : '';
  return miss(state === 'bad' ? `${file} is empty or not JSON` : `no CODEX_API_KEY and no ${file}${ignored}`, fix);
}

export function geminiCredentials(ctx: CredentialContext): Finding {
  const key = firstSet(ctx.env, ['GEMINI_API_KEY', 'GOOGLE_API_KEY']);
  if (key) return ok(`${key} is set`);
  if (/^(true|1)$/i.test(ctx.env.GOOGLE_GENAI_USE_VERTEXAI ?? '') && firstSet(ctx.env, ['GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_CLOUD_PROJECT'])) {
    return ok('uses Vertex AI (cloud credentials not checked)');
  }
  const dir = join(ctx.home, '.gemini');
  const dotenv = ctx.readText(join(dir, '.env'));
  if (dotenv && /^\s*(?:export\s+)?(GEMINI_API_KEY|GOOGLE_API_KEY)\s*=\s*\S/m.test(dotenv)) return ok(`API key in ${join(dir, '.env')}`);
  const oauth = join(dir, 'oauth_creds.json');
  const state = loginFile(ctx, oauth);
  if (state === 'ok') return ok(`logged in with Google (${oauth})`);
  return miss(state === 'bad' ? `${oauth} is empty or not JSON` : `no GEMINI_API_KEY and no login in ${dir}`, `gemini   (log in with Google once, or GEMINI_API_KEY ${ENV_FILE_HINT})`);
}

/** The key each model provider needs, by litellm prefix or model family (what aider passes models to). */
const PROVIDERS: readonly { test: RegExp; keys: readonly string[] }[] = [
  { test: /^(ollama|ollama_chat|lm_studio)\//, keys: [] },
  { test: /^openrouter\//, keys: ['OPENROUTER_API_KEY'] },
  { test: /^groq\//, keys: ['GROQ_API_KEY'] },
  { test: /^mistral\//, keys: ['MISTRAL_API_KEY'] },
  { test: /^anthropic\/|claude|sonnet|opus|haiku/, keys: ['ANTHROPIC_API_KEY'] },
  { test: /^(gemini|google)\/|^gemini/, keys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'] },
  { test: /^deepseek\/|deepseek/, keys: ['DEEPSEEK_API_KEY'] },
  { test: /^xai\/|grok/, keys: ['XAI_API_KEY'] },
  { test: /^(openai|azure)\/|^(gpt|o1|o3|o4|chatgpt)/, keys: ['OPENAI_API_KEY', 'AZURE_API_KEY'] },
];

export function aiderCredentials(ctx: CredentialContext): Finding {
  const confPath = join(ctx.home, '.aider.conf.yml');
  const conf = ctx.readText(confPath);
  // Nightshift always passes the build's --model (it refuses aider without one), so that model's key is what counts.
  const model = ctx.model;
  if (!model) {
    // Which key counts depends on the model each build names; without one, any provider's key will do.
    const keys = [...new Set(PROVIDERS.flatMap((p) => p.keys))];
    const found = firstSet(ctx.env, keys.flatMap((k) => [k, `AIDER_${k}`]));
    const confKey = keys.map((k) => k.toLowerCase().replace(/_/g, '-')).find((k) => conf && new RegExp(`^\\s*${k}\\s*:\\s*\\S`, 'm').test(conf));
    const check = 'check the key of the model builds will use: nightshift doctor --agent aider --model <provider>/<model>';
    if (found) return ok(`${found} is set; ${check}`);
    if (confKey) return ok(`${confKey} in ${confPath}; ${check}`);
    return miss(
      `no model provider's API key is set (${keys.slice(0, 4).join(', ')}, ...)`,
      `the key of the model builds name with --model, e.g. OPENAI_API_KEY=... ${ENV_FILE_HINT}; then nightshift doctor --agent aider --model <provider>/<model>`,
    );
  }
  const provider = PROVIDERS.find((p) => p.test.test(model.toLowerCase()));
  if (!provider) return ok(`model ${model}: provider unknown to doctor, its key is not checked`);
  if (provider.keys.length === 0) return ok(`model ${model} needs no API key`);
  const names = provider.keys.flatMap((k) => [k, `AIDER_${k}`]);
  const found = firstSet(ctx.env, names);
  if (found) return ok(`model ${model}, ${found} is set`);
  const confKey = provider.keys.map((k) => k.toLowerCase().replace(/_/g, '-')).find((k) => conf && new RegExp(`^\\s*${k}\\s*:\\s*\\S`, 'm').test(conf));
  if (confKey) return ok(`model ${model}, ${confKey} in ${confPath}`);
  return miss(`model ${model} needs ${provider.keys[0]}, which is not set`, `${provider.keys[0]}=... ${ENV_FILE_HINT}`);
}

export function detectCredentials(agent: AgentCliName, ctx: CredentialContext): Finding {
  switch (agent) {
    case 'claude':
      return claudeCredentials(ctx);
    case 'codex':
      return codexCredentials(ctx);
    case 'gemini':
      return geminiCredentials(ctx);
    case 'aider':
      return aiderCredentials(ctx);
  }
}
