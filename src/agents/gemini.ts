import { looksRateLimited, parseResetTime, systemClock, type Clock } from './classify';
import {
  absorbText,
  addUsage,
  applyFailure,
  asNumber,
  asObject,
  asString,
  capText,
  failureFromMessage,
  firstLine,
  laterFailure,
  parseJsonObject,
  promiseTag,
  snapshot,
  type AdapterOptions,
  type Failure,
  type JsonObject,
} from './parserKit';
import { GEMINI_MODEL_PRICES, priceGemini, type PriceTable } from './pricing';
import {
  emptyParsedOutput,
  type AgentAdapter,
  type InvocationContext,
  type OutputParser,
  type ParsedOutput,
} from './types';

export interface GeminiOptions extends AdapterOptions {
  /** Prices per model (merged over GEMINI_MODEL_PRICES): gemini reports tokens, never cost. */
  prices?: PriceTable;
}

/** Google's Gemini CLI (tested: 0.61.0) in headless mode, printing one JSON document when it finishes. */
export function geminiAgent(options: GeminiOptions = {}): AgentAdapter {
  const now = options.now ?? systemClock;
  const prices = { ...GEMINI_MODEL_PRICES, ...(options.prices ?? {}) };
  return {
    name: 'gemini',
    supportsResume: false,
    argv: geminiArgv,
    parser: (ctx) => geminiParser(ctx.completionPromise, now, prices),
  };
}

/**
 * `--skip-trust`: a build's worktree is a folder gemini has never seen, and in an untrusted folder it
 * forces the approval mode back to `default` and exits 55 (GEMINI_CLI_TRUST_WORKSPACE=true does the
 * same). Headless, `default` does not even offer the edit tools, so without a choice of the person
 * (`--permission-mode` is gemini's `--approval-mode`) the agent gets `auto_edit`: it may edit files
 * but not run shell commands; `--auto-approve` is `--yolo`, shell commands too.
 */
export function geminiArgv(ctx: InvocationContext): string[] {
  // A prompt starting with "-" would be read as an option; in the `=` form it stays the value.
  const argv = ctx.prompt.startsWith('-')
    ? ['gemini', `--prompt=${ctx.prompt}`]
    : ['gemini', '-p', ctx.prompt];
  if (ctx.model) argv.push('--model', ctx.model);
  if (ctx.permissionMode) argv.push('--approval-mode', ctx.permissionMode);
  else if (ctx.autoApprove) argv.push('--yolo');
  else argv.push('--approval-mode', 'auto_edit');
  argv.push('--skip-trust', '--output-format', 'json');
  return argv;
}

/** A JSON document larger than this is not a result document; its lines are read as text instead. */
const MAX_DOCUMENT_CHARS = 8 * 1024 * 1024;
/** How many closing-brace lines to try as the end of a document followed by other output. */
const MAX_DOCUMENT_CUTS = 50;

/**
 * Lines on stderr that are never worth showing as the session's last words: stack frames and the
 * properties and braces of a printed error object, startup diagnostics and gemini's own notices.
 */
const STDERR_NOISE =
  /^(?:at\s|[{}[\](),;\s]*$|[\w$]+: .*[,{[]$|[\w$]+: (?:\d+|undefined|null|true|false|'[^']*'),?$|\[STARTUP\]|Warning: 256-color|YOLO mode is enabled|Ripgrep is not available|Loaded cached credentials)/;

/**
 * A missing or refused login. Gemini exits 41 (FatalAuthenticationError) when it has no usable auth
 * method or key, and a 401/403 from the API ends the run at once. Plain lines count only in gemini's
 * own words (they also arrive in text output); the error document may use the API's.
 */
const AUTH_LINE = /must specify the GEMINI_API_KEY|Please set an Auth method|Invalid auth method selected|API key not valid/i;
const AUTH_TEXT = new RegExp(
  `${AUTH_LINE.source}|API_KEY_INVALID|UNAUTHENTICATED|PERMISSION_DENIED|Failed to login|authenticat(?:e|ion) (?:failed|required)`,
  'i',
);
const AUTH_EXIT_CODE = 41;

const AUTH_FIX =
  'set GEMINI_API_KEY for the worker (its environment or env file), or run `gemini` once as the worker\'s user to log in with Google';

interface DocumentBuffer {
  lines: string[] | null;
  chars: number;
}

/**
 * Reads `--output-format json`: one document, usually pretty-printed over many lines, holding the
 * `response`, per-model token `stats` and an `error` if the run failed (errors go to stderr, after a
 * stack trace, so both streams are collected). Nothing in it is usable before it is complete, so
 * lines that open a document are buffered and parsed in `result()`; everything else (older
 * versions, plain output, retry notices) is read as text. Gemini retries 429s itself, so a
 * rate-limit notice in the text only explains a failed exit, and a later successful document
 * cancels it. Gemini reports tokens per model but no cost: each model is priced from `prices`.
 */
export function geminiParser(
  completionPromise: string,
  now: Clock = systemClock,
  prices: PriceTable = GEMINI_MODEL_PRICES,
): OutputParser {
  const out = emptyParsedOutput();
  const tag = promiseTag(completionPromise);
  const buffers: Record<'stdout' | 'stderr', DocumentBuffer> = {
    stdout: { lines: null, chars: 0 },
    stderr: { lines: null, chars: 0 },
  };
  let hint: Failure | null = null;
  /** The last stderr line that is not noise: the last line only when nothing better was printed. */
  let stderrLast: string | null = null;

  const absorbStderr = (target: ParsedOutput, text: string): void => {
    const before = target.lastLine;
    absorbText(target, text, tag);
    target.lastLine = before;
    const line = text.trim();
    if (line && !STDERR_NOISE.test(line)) stderrLast = capText(line);
  };
  const absorb = (target: ParsedOutput, text: string, stream: 'stdout' | 'stderr'): void =>
    stream === 'stdout' ? absorbText(target, text, tag) : absorbStderr(target, text);

  return {
    line(text, stream) {
      const trimmed = text.trim();
      if (!trimmed) return;
      const capped = capText(trimmed);
      if (AUTH_LINE.test(capped)) hint = authFailure(apiMessage(capped));
      else if (looksRateLimited(capped)) hint = laterFailure(hint, failureFromMessage(capped, now));
      const buffer = buffers[stream];
      if (buffer.lines === null && !trimmed.startsWith('{')) {
        absorb(out, text, stream);
        return;
      }
      if (buffer.chars + text.length > MAX_DOCUMENT_CHARS) {
        for (const held of buffer.lines ?? []) absorb(out, held, stream);
        absorb(out, text, stream);
        buffer.lines = null;
        buffer.chars = 0;
        return;
      }
      (buffer.lines ??= []).push(text);
      buffer.chars += text.length;
    },
    result() {
      const current: ParsedOutput = { ...out, devNotes: [...out.devNotes] };
      let pending = hint;
      for (const stream of ['stdout', 'stderr'] as const) {
        const buffer = buffers[stream];
        if (!buffer.lines) continue;
        const { document, rest } = splitDocument(buffer.lines);
        if (document && readDocument(current, document, tag, now, prices)) pending = null;
        for (const line of document ? rest : buffer.lines) absorb(current, line, stream);
      }
      if (current.lastLine === null) current.lastLine = stderrLast;
      return snapshot(current, pending);
    },
  };
}

/** The JSON document at the start of `lines`, and the lines after it; null if there is none. */
function splitDocument(lines: string[]): { document: JsonObject | null; rest: string[] } {
  const whole = parseJsonObject(lines.join('\n'));
  if (whole) return { document: whole, rest: [] };
  let cuts = 0;
  for (let i = 0; i < lines.length && cuts < MAX_DOCUMENT_CUTS; i++) {
    if (!(lines[i] as string).trimEnd().endsWith('}')) continue;
    cuts++;
    const document = parseJsonObject(lines.slice(0, i + 1).join('\n'));
    if (document) return { document, rest: lines.slice(i + 1) };
  }
  return { document: null, rest: lines };
}

/** Applies a result document; true when it reports a successful response. */
function readDocument(out: ParsedOutput, doc: JsonObject, tag: string, now: Clock, prices: PriceTable): boolean {
  const response = asString(doc.response);
  if (response !== null) absorbText(out, response, tag);
  out.sessionId = asString(doc.session_id) ?? asString(doc.sessionId) ?? out.sessionId;
  readStats(out, doc, prices);
  const error = asObject(doc.error);
  if (!error) return response !== null;
  const code = asNumber(error.code) ?? Number(asString(error.code));
  const message = apiMessage(asString(error.message) ?? asString(error.type) ?? 'error');
  const described = `${asString(error.type) ?? ''} ${message} ${asString(error.status) ?? ''}`;
  let failure: Failure;
  if (code === AUTH_EXIT_CODE || code === 401 || code === 403 || AUTH_TEXT.test(described)) failure = authFailure(message);
  else if (code === 429 || looksRateLimited(described))
    failure = { failureClass: 'rate-limited', message: firstLine(message), resetAt: parseResetTime(message, now()) };
  else failure = { failureClass: 'transient', message: capText(message), resetAt: null };
  applyFailure(out, failure, true);
  // The error is what the person needs to read, not the end of the stack trace before it.
  if (response === null) out.lastLine = firstLine(message);
  return false;
}

/** Tokens per model (`stats.models`), each model priced on its own; the busiest model names the session. */
function readStats(out: ParsedOutput, doc: JsonObject, prices: PriceTable): void {
  const models = asObject(asObject(doc.stats)?.models);
  if (!models) return;
  let busiest = -1;
  for (const [name, stats] of Object.entries(models)) {
    const tokens = asObject(asObject(stats)?.tokens);
    if (!tokens) continue;
    const usage = {
      // `prompt` includes the cached tokens; tool-use prompts are billed as input.
      inputTokens: (asNumber(tokens.prompt) ?? 0) + (asNumber(tokens.tool) ?? 0),
      cachedInputTokens: asNumber(tokens.cached) ?? 0,
      // Thinking tokens are billed as output.
      outputTokens: (asNumber(tokens.candidates) ?? 0) + (asNumber(tokens.thoughts) ?? 0),
    };
    out.usage = addUsage(out.usage, usage);
    const cost = priceGemini(name, usage, prices);
    if (cost !== null) out.costUsd = (out.costUsd ?? 0) + cost;
    const total = asNumber(tokens.total) ?? 0;
    if (total > busiest) {
      busiest = total;
      out.model = name;
    }
  }
}

/** The API's own message when gemini wraps the response body (`{"error":{"code":401,"message":...}}`). */
function apiMessage(message: string): string {
  const at = message.indexOf('{"error"');
  const inner = asObject(parseJsonObject(at > 0 ? message.slice(at) : message)?.error);
  return asString(inner?.message) ?? message;
}

function authFailure(message: string): Failure {
  return { failureClass: 'auth', message: `gemini cannot log in: ${firstLine(message)} To fix: ${AUTH_FIX}.`, resetAt: null };
}
