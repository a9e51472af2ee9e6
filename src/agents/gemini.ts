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
import {
  emptyParsedOutput,
  type AgentAdapter,
  type InvocationContext,
  type OutputParser,
  type ParsedOutput,
} from './types';

/** Google's Gemini CLI in headless mode, printing one JSON document when it finishes. */
export function geminiAgent(options: AdapterOptions = {}): AgentAdapter {
  const now = options.now ?? systemClock;
  return {
    name: 'gemini',
    supportsResume: false,
    argv: geminiArgv,
    parser: (ctx) => geminiParser(ctx.completionPromise, now),
  };
}

export function geminiArgv(ctx: InvocationContext): string[] {
  // A prompt starting with "-" would be read as an option; in the `=` form it stays the value.
  const argv = ctx.prompt.startsWith('-')
    ? ['gemini', `--prompt=${ctx.prompt}`]
    : ['gemini', '-p', ctx.prompt];
  if (ctx.model) argv.push('--model', ctx.model);
  if (ctx.autoApprove) argv.push('--yolo');
  argv.push('--output-format', 'json');
  return argv;
}

/** A JSON document larger than this is not a result document; its lines are read as text instead. */
const MAX_DOCUMENT_CHARS = 8 * 1024 * 1024;
/** How many closing-brace lines to try as the end of a document followed by other output. */
const MAX_DOCUMENT_CUTS = 50;

interface DocumentBuffer {
  lines: string[] | null;
  chars: number;
}

/**
 * Reads `--output-format json`: one document, usually pretty-printed over many lines, holding the
 * `response`, per-model token `stats` and an `error` if the run failed (errors go to stderr, so both
 * streams are collected). Nothing in it is usable before it is complete, so lines that open a
 * document are buffered and parsed in `result()`; everything else (older versions, plain output,
 * retry notices) is read as text. Gemini retries 429s itself, so a rate-limit notice in the text
 * only explains a failed exit, and a later successful document cancels it.
 */
export function geminiParser(completionPromise: string, now: Clock = systemClock): OutputParser {
  const out = emptyParsedOutput();
  const tag = promiseTag(completionPromise);
  const buffers: Record<'stdout' | 'stderr', DocumentBuffer> = {
    stdout: { lines: null, chars: 0 },
    stderr: { lines: null, chars: 0 },
  };
  let hint: Failure | null = null;

  return {
    line(text, stream) {
      const trimmed = text.trim();
      if (!trimmed) return;
      const capped = capText(trimmed);
      if (looksRateLimited(capped)) hint = laterFailure(hint, failureFromMessage(capped, now));
      const buffer = buffers[stream];
      if (buffer.lines === null && !trimmed.startsWith('{')) {
        absorbText(out, text, tag);
        return;
      }
      if (buffer.chars + text.length > MAX_DOCUMENT_CHARS) {
        for (const held of buffer.lines ?? []) absorbText(out, held, tag);
        absorbText(out, text, tag);
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
      for (const buffer of [buffers.stdout, buffers.stderr]) {
        if (!buffer.lines) continue;
        const { document, rest } = splitDocument(buffer.lines);
        if (document && readDocument(current, document, tag, now)) pending = null;
        for (const line of document ? rest : buffer.lines) absorbText(current, line, tag);
      }
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
function readDocument(out: ParsedOutput, doc: JsonObject, tag: string, now: Clock): boolean {
  const response = asString(doc.response);
  if (response !== null) absorbText(out, response, tag);
  out.sessionId = asString(doc.session_id) ?? asString(doc.sessionId) ?? out.sessionId;
  const models = asObject(asObject(doc.stats)?.models);
  if (models) {
    let busiest = -1;
    for (const [name, stats] of Object.entries(models)) {
      const tokens = asObject(asObject(stats)?.tokens);
      if (!tokens) continue;
      out.usage = addUsage(out.usage, {
        inputTokens: asNumber(tokens.prompt) ?? 0,
        cachedInputTokens: asNumber(tokens.cached) ?? 0,
        // Thinking tokens are billed as output.
        outputTokens: (asNumber(tokens.candidates) ?? 0) + (asNumber(tokens.thoughts) ?? 0),
      });
      const total = asNumber(tokens.total) ?? 0;
      if (total > busiest) {
        busiest = total;
        out.model = name;
      }
    }
  }
  const error = asObject(doc.error);
  if (!error) return response !== null;
  const message = asString(error.message) ?? asString(error.type) ?? 'error';
  const code = asNumber(error.code) ?? Number(asString(error.code));
  const described = `${asString(error.type) ?? ''} ${message} ${asString(error.status) ?? ''}`;
  const failure: Failure =
    code === 429 || looksRateLimited(described)
      ? { failureClass: 'rate-limited', message: firstLine(message), resetAt: parseResetTime(message, now()) }
      : { failureClass: 'transient', message: capText(message), resetAt: null };
  applyFailure(out, failure, true);
  return false;
}
