import { looksRateLimited, systemClock, type Clock } from './classify';
import {
  absorbText,
  addUsage,
  applyFailure,
  asArray,
  asNumber,
  asObject,
  asString,
  capText,
  failureFromMessage,
  laterFailure,
  parseJsonObject,
  promiseTag,
  snapshot,
  type AdapterOptions,
  type Failure,
  type JsonObject,
} from './parserKit';
import { DEFAULT_MODEL_PRICES, priceUsage, type PriceTable } from './pricing';
import { emptyParsedOutput, type AgentAdapter, type InvocationContext, type OutputParser } from './types';

/**
 * OpenAI Codex CLI, `codex exec --json`. It reports tokens but not dollars, so cost comes from a
 * price table: `prices` entries merge over `DEFAULT_MODEL_PRICES`.
 */
export function codexAgent(prices?: PriceTable, options: AdapterOptions = {}): AgentAdapter {
  const table: PriceTable = { ...DEFAULT_MODEL_PRICES, ...prices };
  const now = options.now ?? systemClock;
  return {
    name: 'codex',
    supportsResume: true,
    argv: codexArgv,
    parser: (ctx) => codexParser(ctx.completionPromise, { model: ctx.model ?? null, prices: table, now }),
  };
}

export function codexArgv(ctx: InvocationContext): string[] {
  const argv = ctx.resumeSessionId ? ['codex', 'exec', 'resume', ctx.resumeSessionId] : ['codex', 'exec'];
  argv.push('--json');
  if (ctx.model) argv.push('--model', ctx.model);
  if (ctx.autoApprove) argv.push('--full-auto');
  // The prompt is positional: one starting with "-" would be read as an option without the "--".
  if (ctx.prompt.startsWith('-')) argv.push('--');
  argv.push(ctx.prompt);
  return argv;
}

export interface CodexParserOptions {
  /** The model asked for; the JSON stream does not name it, and it picks the price. */
  model?: string | null;
  prices?: PriceTable;
  now?: Clock;
}

/**
 * Reads the JSONL event stream: `thread.started` (the thread to resume), `turn.*` (turns, usage,
 * failures), `item.*` (messages, commands, file changes) and top-level `error`s. Codex reports
 * recoverable trouble (a dropped stream it retries) as an `error` too, so one only counts if no turn
 * completes after it.
 */
export function codexParser(completionPromise: string, options: CodexParserOptions = {}): OutputParser {
  const now = options.now ?? systemClock;
  const prices = options.prices ?? DEFAULT_MODEL_PRICES;
  const out = emptyParsedOutput();
  out.model = options.model ?? null;
  const tag = promiseTag(completionPromise);
  let turnFailed = false;
  let pendingError: Failure | null = null;
  let hint: Failure | null = null;

  const onItem = (item: JsonObject, completed: boolean): void => {
    switch (item.type) {
      case 'agent_message': {
        // Only the completed message is whole; reading partial ones would repeat its DevNotes.
        const text = asString(item.text);
        if (completed && text !== null) absorbText(out, text, tag);
        break;
      }
      case 'command_execution': {
        const command = capText(asString(item.command) ?? '', 500);
        const exitCode = asNumber(item.exit_code);
        const status = asString(item.status);
        const outcome =
          status === 'declined' ? ' (declined)' : exitCode !== null ? ` (exit ${exitCode})` : '';
        out.lastLine = capText(`$ ${command}${outcome}`);
        break;
      }
      case 'file_change': {
        const changes = asArray(item.changes)
          .map((c) => asObject(c))
          .filter((c): c is JsonObject => c !== null)
          .map((c) => `${asString(c.kind) ?? 'change'} ${asString(c.path) ?? '?'}`);
        if (completed && changes.length > 0) out.lastLine = capText(`files: ${changes.join(', ')}`);
        break;
      }
      case 'mcp_tool_call':
        out.lastLine = capText(`tool: ${asString(item.server) ?? '?'}.${asString(item.tool) ?? '?'}`);
        break;
      case 'web_search':
        out.lastLine = capText(`search: ${asString(item.query) ?? ''}`);
        break;
      default:
        // reasoning, todo_list, non-fatal error items and anything newer: not output.
        break;
    }
  };

  const onEvent = (event: JsonObject): void => {
    switch (event.type) {
      case 'thread.started':
        out.sessionId = asString(event.thread_id) ?? out.sessionId;
        break;
      case 'turn.started':
        out.turns = (out.turns ?? 0) + 1;
        break;
      case 'turn.completed': {
        const usage = asObject(event.usage);
        if (usage) {
          out.usage = addUsage(out.usage, {
            inputTokens: asNumber(usage.input_tokens) ?? 0,
            cachedInputTokens: asNumber(usage.cached_input_tokens) ?? 0,
            outputTokens: asNumber(usage.output_tokens) ?? 0,
          });
        }
        pendingError = null;
        break;
      }
      case 'turn.failed': {
        const message = asString(asObject(event.error)?.message) ?? 'turn failed';
        turnFailed = true;
        applyFailure(out, failureFromMessage(message, now), true);
        break;
      }
      case 'error':
        pendingError = failureFromMessage(asString(event.message) ?? 'error', now);
        break;
      case 'item.started':
      case 'item.updated':
      case 'item.completed': {
        const item = asObject(event.item);
        if (item) onItem(item, event.type === 'item.completed');
        break;
      }
      default:
        break;
    }
  };

  return {
    line(text) {
      const event = parseJsonObject(text);
      if (event) {
        onEvent(event);
        return;
      }
      if (!text.trim()) return;
      absorbText(out, text, tag);
      const line = capText(text.trim());
      if (looksRateLimited(line)) hint = laterFailure(hint, failureFromMessage(line, now));
    },
    result() {
      const current = { ...out };
      if (!turnFailed && pendingError) applyFailure(current, pendingError, true);
      if (current.usage) current.costUsd = priceUsage(current.model, current.usage, prices);
      return snapshot(current, hint);
    },
  };
}
