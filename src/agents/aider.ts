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
import { emptyParsedOutput, type AgentAdapter, type InvocationContext, type OutputParser } from './types';

/** Aider, one message from a file, answering yes to everything (there is nobody to ask). */
export function aiderAgent(options: AdapterOptions = {}): AgentAdapter {
  const now = options.now ?? systemClock;
  return {
    name: 'aider',
    supportsResume: false,
    argv: aiderArgv,
    parser: (ctx) => aiderParser(ctx.completionPromise, now),
  };
}

export function aiderArgv(ctx: InvocationContext): string[] {
  const argv = ['aider', '--yes-always', '--no-pretty', '--message-file', ctx.promptFile];
  if (ctx.model) argv.push('--model', ctx.model);
  return argv;
}

/** `Tokens: 4.1k sent, 2.3k cache write, 1.1k cache hit, 1.2k received. Cost: $0.02 message, $0.15 session.` */
const TOKENS_LINE = /^Tokens:\s/;
const TOKEN_COUNT = /([\d.]+)\s*([kKmM]?)\s+(sent|cache write|cache hit|received)\b/g;
const SESSION_COST = /\$\s*([\d.,]+)\s+session\b/;
/** `Main model: anthropic/claude-sonnet-4 with diff edit format` (older versions: `Model: ...`). */
const MODEL_LINE = /^(?:Main model|Model):\s*(\S+)/;
/** litellm's exception names (`litellm.RateLimitError: ...`), which aider prints when a call fails. */
const API_ERROR = /\blitellm\.\w*(?:Error|Exception)\b/;

function tokenCount(value: string, suffix: string): number {
  const scale = suffix === 'k' || suffix === 'K' ? 1e3 : suffix === 'm' || suffix === 'M' ? 1e6 : 1;
  return Math.round(Number(value) * scale) || 0;
}

/**
 * Reads aider's plain-text output. Aider retries failed API calls itself and, with `--message`,
 * exits 0 even when it gave up, so an API error (rate limit or other) counts as the session's
 * failure only if no model reply (a `Tokens:` line) follows it.
 */
export function aiderParser(completionPromise: string, now: Clock = systemClock): OutputParser {
  const out = emptyParsedOutput();
  const tag = promiseTag(completionPromise);
  let apiError: Failure | null = null;

  const onTokens = (line: string): void => {
    let sent = 0;
    let cacheHit = 0;
    let received = 0;
    for (const m of line.matchAll(TOKEN_COUNT)) {
      const count = tokenCount(m[1] as string, m[2] as string);
      if (m[3] === 'sent') sent = count;
      else if (m[3] === 'cache hit') cacheHit = count;
      else if (m[3] === 'received') received = count;
    }
    out.usage = addUsage(out.usage, {
      inputTokens: sent,
      cachedInputTokens: cacheHit,
      outputTokens: received,
    });
    out.turns = (out.turns ?? 0) + 1;
    const cost = SESSION_COST.exec(line);
    // The session figure is already a running total: keep the latest, never add them up.
    if (cost) out.costUsd = Number((cost[1] as string).replace(/,/g, '')) || 0;
    apiError = null;
  };

  return {
    line(text) {
      const line = capText(text.trim());
      if (!line) return;
      if (TOKENS_LINE.test(line)) {
        onTokens(line);
        return;
      }
      const model = MODEL_LINE.exec(line);
      if (model && out.model === null) out.model = model[1] as string;
      absorbText(out, text, tag);
      if (looksRateLimited(line)) apiError = laterFailure(apiError, failureFromMessage(line, now));
      else if (API_ERROR.test(line)) apiError = { failureClass: 'transient', message: line, resetAt: null };
    },
    result() {
      const current = { ...out };
      if (apiError) applyFailure(current, apiError, true);
      return snapshot(current);
    },
  };
}
