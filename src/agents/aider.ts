import { looksRateLimited, systemClock, type Clock } from './classify';
import {
  absorbText,
  addUsage,
  applyFailure,
  capText,
  failureFromMessage,
  laterFailure,
  promiseTag,
  snapshot,
  type AdapterOptions,
  type Failure,
} from './parserKit';
import { emptyParsedOutput, type AgentAdapter, type InvocationContext, type OutputParser, type ParsedOutput } from './types';

/** Aider (tested: aider-chat 0.86.2), one message from a file, answering yes to everything (there is nobody to ask). */
export function aiderAgent(options: AdapterOptions = {}): AgentAdapter {
  const now = options.now ?? systemClock;
  return {
    name: 'aider',
    supportsResume: false,
    argv: aiderArgv,
    env: () => AIDER_ENV,
    // The repo-map cache aider keeps in the repository root; Nightshift commits everything else.
    scratchPaths: ['.aider.tags.cache.v4'],
    parser: (ctx) => aiderParser(ctx.completionPromise, now, ctx.model),
  };
}

/**
 * Piped output is wrapped at the console width (80 when COLUMNS is unset), which splits DevNotes,
 * error messages and the token report: a wide console keeps every line whole. And aider checks the
 * repository's git identity at start: when there is none (an identity only in GIT_AUTHOR_* variables,
 * as on many workers) it writes `user.name "Your Name"` into the repository's .git/config, and inside
 * Nightshift's sandbox, where that file is read-only, it crashes. Aider never commits here, so the
 * identity it sees (git's command-line level config, through the environment) is only for that check.
 */
const AIDER_ENV: Readonly<Record<string, string>> = {
  COLUMNS: '8192',
  GIT_CONFIG_COUNT: '2',
  GIT_CONFIG_KEY_0: 'user.name',
  GIT_CONFIG_VALUE_0: 'Nightshift (aider)',
  GIT_CONFIG_KEY_1: 'user.email',
  GIT_CONFIG_VALUE_1: 'aider@nightshift.invalid',
};

/** Thrown when aider would be started without a model: it would open a browser to log in and wait. */
export class AiderModelMissingError extends Error {
  constructor() {
    super(
      'aider needs a model: pass --model (for example --model sonnet or --model openai/gpt-4.1); without one aider opens a browser to log in and waits',
    );
    this.name = 'AiderModelMissingError';
  }
}

/**
 * Headless and tidy: no update check, analytics, URL scraping, release notes or shell suggestions;
 * no commits of its own (Nightshift makes exactly one per checkpoint) and no `.gitignore` edit; no
 * chat or input history files (they would land in the worktree, and everything aider prints is in the
 * session's transcript anyway). `--no-stream` makes aider report the provider's token counts
 * (streamed replies are counted by aider's own tokenizer).
 */
export function aiderArgv(ctx: InvocationContext): string[] {
  if (!ctx.model) throw new AiderModelMissingError();
  return [
    'aider',
    '--model',
    ctx.model,
    '--yes-always',
    '--no-pretty',
    '--no-stream',
    '--no-auto-commits',
    '--no-dirty-commits',
    '--no-gitignore',
    '--no-check-update',
    '--analytics-disable',
    '--no-show-release-notes',
    '--no-detect-urls',
    '--no-suggest-shell-commands',
    '--no-fancy-input',
    '--chat-history-file',
    '/dev/null',
    '--input-history-file',
    '/dev/null',
    '--message-file',
    ctx.promptFile,
  ];
}

/** `Tokens: 4.1k sent, 2.3k cache write, 1.1k cache hit, 1.2k received. Cost: $0.02 message, $0.15 session.` */
const TOKENS_LINE = /^Tokens:\s/;
const TOKEN_COUNT = /([\d.]+)\s*([kKmM]?)\s+(sent|cache write|cache hit|received)\b/g;
const SESSION_COST = /\$\s*([\d.,]+)\s+session\b/;
/** With both cache reads and writes aider puts the cost on a line of its own. */
const COST_LINE = /^Cost:\s/;
/** `Main model: anthropic/claude-sonnet-4 with diff edit format` (older versions: `Model: ...`). */
const MODEL_LINE = /^(?:Main model|Model):\s*(\S+)/;
/** litellm's exception names (`litellm.RateLimitError: ...`), which aider prints when a call fails. */
const API_ERROR = /\blitellm\.\w*(?:Error|Exception)\b/;
const AUTH_ERROR = /\blitellm\.AuthenticationError\b/;
/** Started without a model or any key (the request has --model; AIDER_MODEL or a config file might not): a browser login waits. */
const NO_MODEL = /^No LLM model was specified and no API keys were provided/;
/** Aider's model warning lists the key variables it found unset: `- OPENAI_API_KEY: Not set`. */
const UNSET_VARIABLE = /^-\s*([A-Z][A-Z0-9_]*):\s*Not set\b/;

/** The variable holding the key for a model's provider, as litellm reads it. */
const PROVIDER_KEYS: [RegExp, string][] = [
  [/^openrouter\//, 'OPENROUTER_API_KEY'],
  [/^(?:anthropic\/|claude|sonnet|opus|haiku)/, 'ANTHROPIC_API_KEY'],
  [/^(?:gemini\/|gemini|flash)/, 'GEMINI_API_KEY'],
  [/^deepseek/, 'DEEPSEEK_API_KEY'],
  [/^groq\//, 'GROQ_API_KEY'],
  [/^mistral\//, 'MISTRAL_API_KEY'],
  [/^xai\/|^grok/, 'XAI_API_KEY'],
  [/^(?:openai\/|gpt|o\d|chatgpt)/, 'OPENAI_API_KEY'],
];

function keyVariable(model: string | undefined, unset: string[]): string {
  if (unset.length > 0) return unset.join(' and ');
  const name = (model ?? '').toLowerCase();
  return PROVIDER_KEYS.find(([provider]) => provider.test(name))?.[1] ?? "the API key variable of the model's provider";
}

/** Adds one token report to the session's figures. */
function applyTokens(out: ParsedOutput, line: string): void {
  let sent = 0;
  let cacheHit = 0;
  let received = 0;
  for (const m of line.matchAll(TOKEN_COUNT)) {
    const count = tokenCount(m[1] as string, m[2] as string);
    if (m[3] === 'sent') sent = count;
    else if (m[3] === 'cache hit') cacheHit = count;
    else if (m[3] === 'received') received = count;
  }
  out.usage = addUsage(out.usage, { inputTokens: sent, cachedInputTokens: cacheHit, outputTokens: received });
  out.turns = (out.turns ?? 0) + 1;
  const cost = SESSION_COST.exec(line);
  // The session figure is already a running total: keep the latest, never add them up.
  if (cost) out.costUsd = Number((cost[1] as string).replace(/,/g, '')) || 0;
}

function tokenCount(value: string, suffix: string): number {
  const scale = suffix === 'k' || suffix === 'K' ? 1e3 : suffix === 'm' || suffix === 'M' ? 1e6 : 1;
  return Math.round(Number(value) * scale) || 0;
}

/**
 * Reads aider's plain-text output. Aider retries failed API calls itself and, with `--message`,
 * exits 0 even when it gave up, so an API error (rate limit, refused key or other) counts as the
 * session's failure only if no model reply (a `Tokens:` line) follows it. Token counts are aider's
 * rounded ones (`12k`); the cost is aider's running session total. The last line is the last line
 * of the model's reply, not aider's bookkeeping after it (`Applied edit to ...`).
 */
export function aiderParser(completionPromise: string, now: Clock = systemClock, model?: string): OutputParser {
  const out = emptyParsedOutput();
  const tag = promiseTag(completionPromise);
  let apiError: Failure | null = null;
  let replyLast: string | null = null;
  /** A token report not known to be complete: the cost may follow on the next line. */
  let pendingTokens: string | null = null;
  const unset: string[] = [];

  const onTokens = (line: string): void => {
    applyTokens(out, line);
    replyLast = out.lastLine;
    apiError = null;
  };
  const flushTokens = (): void => {
    if (pendingTokens !== null) onTokens(pendingTokens);
    pendingTokens = null;
  };

  const onText = (text: string, line: string): void => {
    const modelLine = MODEL_LINE.exec(line);
    if (modelLine && out.model === null) out.model = modelLine[1] as string;
    const variable = UNSET_VARIABLE.exec(line);
    if (variable && !unset.includes(variable[1] as string)) unset.push(variable[1] as string);
    absorbText(out, text, tag);
    if (NO_MODEL.test(line)) {
      apiError = {
        failureClass: 'auth',
        message: `aider has no model: ${line} It waits for a browser login nobody will finish. To fix: pass --model and set the provider's key variable for the worker.`,
        resetAt: null,
      };
    } else if (AUTH_ERROR.test(line)) {
      apiError = {
        failureClass: 'auth',
        message: `aider cannot log in: ${line} To fix: set ${keyVariable(model, unset)} for the worker (its environment or env file).`,
        resetAt: null,
      };
    } else if (looksRateLimited(line)) apiError = laterFailure(apiError, failureFromMessage(line, now));
    else if (API_ERROR.test(line)) apiError = { failureClass: 'transient', message: line, resetAt: null };
  };

  return {
    line(text) {
      const line = capText(text.trim());
      if (pendingTokens !== null) {
        // A report wrapped by a narrow console, or a cost on a line of its own: join it up.
        if (line && !SESSION_COST.test(pendingTokens) && (COST_LINE.test(line) || !/received\.$/.test(pendingTokens))) {
          pendingTokens = `${pendingTokens} ${line}`;
          if (SESSION_COST.test(pendingTokens)) flushTokens();
          return;
        }
        flushTokens();
      }
      if (!line) return;
      if (TOKENS_LINE.test(line)) {
        pendingTokens = line;
        if (SESSION_COST.test(line)) flushTokens();
        return;
      }
      onText(text, line);
    },
    result() {
      // Asked for mid-session too: a report still waiting for its cost line is read, but stays pending.
      const current = { ...out, devNotes: [...out.devNotes] };
      let last = replyLast;
      let failure = apiError as Failure | null;
      if (pendingTokens !== null) {
        applyTokens(current, pendingTokens);
        last = current.lastLine;
        failure = null;
      }
      if (last !== null) current.lastLine = last;
      if (failure) {
        applyFailure(current, failure, true);
        current.lastLine = capText(failure.message);
      }
      return snapshot(current);
    },
  };
}
