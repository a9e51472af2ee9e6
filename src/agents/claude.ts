import {
  looksPermissionBlocked,
  looksRateLimited,
  parseResetTime,
  systemClock,
  type Clock,
} from './classify';
import {
  absorbText,
  applyFailure,
  asArray,
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
import { emptyParsedOutput, type AgentAdapter, type InvocationContext, type OutputParser } from './types';

/** Claude Code in print mode, streaming one JSON event per line. */
export function claudeAgent(options: AdapterOptions = {}): AgentAdapter {
  const now = options.now ?? systemClock;
  return {
    name: 'claude',
    supportsResume: true,
    argv: claudeArgv,
    parser: (ctx) => claudeParser(ctx.completionPromise, now),
  };
}

export function claudeArgv(ctx: InvocationContext): string[] {
  const options = ['--output-format', 'stream-json', '--verbose'];
  if (ctx.model) options.push('--model', ctx.model);
  if (ctx.maxTurns !== undefined) options.push('--max-turns', String(ctx.maxTurns));
  if (ctx.permissionMode) options.push('--permission-mode', ctx.permissionMode);
  if (ctx.allowedTools && ctx.allowedTools.length > 0)
    options.push('--allowedTools', ctx.allowedTools.join(','));
  if (ctx.maxBudgetUsd !== undefined) options.push('--max-budget-usd', String(ctx.maxBudgetUsd));
  // Resuming continues the agent's own session; a fresh id would start another one.
  if (ctx.resumeSessionId) options.push('--resume', ctx.resumeSessionId);
  else if (ctx.sessionId) options.push('--session-id', ctx.sessionId);
  // A prompt starting with "-" would be read as an option; after "--" it cannot be.
  if (ctx.prompt.startsWith('-')) return ['claude', '-p', ...options, '--', ctx.prompt];
  return ['claude', '-p', ctx.prompt, ...options];
}

/** What to do when claude cannot log in, said once for every way it reports that. */
export const CLAUDE_LOGIN_FIX =
  "run `claude /login` on the worker, or set ANTHROPIC_API_KEY in the worker's environment (NIGHTSHIFT_AGENT_ENV_FILE)";

/**
 * Claude refuses `--permission-mode bypassPermissions` (and `--dangerously-skip-permissions`) as root
 * unless it is told it runs in a sandbox; Nightshift does not claim that for the person.
 */
export const CLAUDE_ROOT_FIX =
  'run the worker as a non-root user (the worker image does), or, if it runs as root inside a container, ' +
  "set IS_SANDBOX=1 in the worker's environment; or use --permission-mode acceptEdits with --allowed-tools";

const ROOT_REFUSED = /cannot be used with root\/sudo privileges/i;
const SESSION_GONE = /No conversation found with session ID/i;
/** claude retries a 401 itself, ten times over minutes; from the second retry on, no retry will log it in. */
const AUTH_RETRIES_BEFORE_GIVING_UP = 2;

const authFailure = (said: string): Failure => ({
  failureClass: 'auth',
  message: capText(`claude cannot log in (${firstLine(said) || 'authentication failed'}): ${CLAUDE_LOGIN_FIX}`),
  resetAt: null,
});

/** A bare limit notice in place of an answer, which some versions report without `is_error`. */
const LIMIT_NOTICE =
  /^(?:claude ai usage limit reached|you've hit your (?:usage )?limit|(?:5-hour|weekly|session|opus|sonnet) limit reached)/i;

/**
 * Reads `--output-format stream-json`: `system/init` (session, model), `assistant` messages (text
 * and tool uses) and the final `result` (turns, cost, usage, and how the run ended). Lines that are
 * not JSON are read as plain text; a limit notice among them explains a run that never got a result.
 */
export function claudeParser(completionPromise: string, now: Clock = systemClock): OutputParser {
  const out = emptyParsedOutput();
  const tag = promiseTag(completionPromise);
  let resultSeen = false;
  let lastAssistantText = '';
  let hint: Failure | null = null;
  /** The assistant event said `"error": "authentication_failed"` (a bad key, or no login at all). */
  let authFailed = false;

  const onInit = (event: JsonObject): void => {
    out.sessionId = asString(event.session_id) ?? out.sessionId;
    out.model = asString(event.model) ?? out.model;
  };

  const onAssistant = (event: JsonObject): void => {
    if (event.error === 'authentication_failed') authFailed = true;
    const message = asObject(event.message);
    if (!message) return;
    const model = asString(message.model);
    // Errors arrive as "<synthetic>" messages, which name no real model.
    if (out.model === null && model && !model.startsWith('<')) out.model = model;
    for (const block of asArray(message.content)) {
      const part = asObject(block);
      if (!part) continue;
      const text = asString(part.text);
      if (part.type === 'text' && text !== null) {
        absorbText(out, text, tag);
        lastAssistantText = capText(text);
      } else if (part.type === 'tool_use') {
        out.lastLine = capText(`tool: ${asString(part.name) ?? 'unknown'}`);
      }
    }
  };

  /** `system/api_retry`: claude retrying a failed API call by itself. Only a refused login is worth noting. */
  const onRetry = (event: JsonObject): void => {
    const refused = event.error_status === 401 || event.error === 'authentication_failed';
    if (refused && (asNumber(event.attempt) ?? 0) >= AUTH_RETRIES_BEFORE_GIVING_UP) {
      // Not an error result yet, but the session can only end one way: the worker stops it early.
      hint = authFailure(`API error ${asNumber(event.error_status) ?? 401}, retried ${asNumber(event.attempt)} times`);
    }
  };

  const onResult = (event: JsonObject): void => {
    resultSeen = true;
    out.sessionId = asString(event.session_id) ?? out.sessionId;
    out.turns = asNumber(event.num_turns) ?? out.turns;
    out.costUsd = asNumber(event.total_cost_usd) ?? out.costUsd;
    const usage = asObject(event.usage);
    if (usage) {
      const cacheRead = asNumber(usage.cache_read_input_tokens) ?? 0;
      // inputTokens counts every prompt token, cached or not, as the other agents report it.
      out.usage = {
        inputTokens:
          (asNumber(usage.input_tokens) ?? 0) +
          (asNumber(usage.cache_creation_input_tokens) ?? 0) +
          cacheRead,
        outputTokens: asNumber(usage.output_tokens) ?? 0,
        cachedInputTokens: cacheRead,
      };
    }
    const resultText = asString(event.result) ?? '';
    // The final text repeats the last assistant message, so only the promise is read from it.
    if (resultText.includes(tag)) out.promiseSeen = true;
    if (out.lastLine === null && resultText.trim())
      out.lastLine = firstLine(resultText.trim().split('\n').pop() ?? '');

    const subtype = asString(event.subtype) ?? '';
    const isError = event.is_error === true || (subtype !== '' && subtype !== 'success');
    const errors = asArray(event.errors)
      .map(asString)
      .filter((e): e is string => e !== null);
    const errorText = [resultText, ...errors].join('\n').trim() || lastAssistantText;
    const denials = asArray(event.permission_denials);
    const deniedTools = denials
      .map((d) => asString(asObject(d)?.tool_name))
      .filter((name): name is string => name !== null);
    const usefulResult = out.promiseSeen || (resultText.trim() !== '' && !looksPermissionBlocked(resultText));

    out.isError = false;
    out.failureClass = out.failureMessage = out.resetAt = null;
    if (errors.some((e) => SESSION_GONE.test(e))) out.sessionGone = true;
    if (isError && (authFailed || event.api_error_status === 401)) {
      applyFailure(out, authFailure(errorText), true);
    } else if (subtype === 'error_max_budget_usd') {
      const spent = out.costUsd === null ? '' : ` (spent $${out.costUsd.toFixed(2)})`;
      applyFailure(
        out,
        { failureClass: 'budget-exceeded', message: `max budget reached${spent}`, resetAt: null },
        true,
      );
    } else if (
      (isError && event.api_error_status === 429) ||
      ((isError || LIMIT_NOTICE.test(resultText.trim())) && looksRateLimited(errorText))
    ) {
      applyFailure(
        out,
        {
          failureClass: 'rate-limited',
          message: firstLine(errorText),
          resetAt: parseResetTime(errorText, now()),
        },
        true,
      );
    } else if (denials.length > 0 && (isError || !usefulResult)) {
      const tools = [...new Set(deniedTools)].join(', ') || 'a tool';
      const said = resultText.trim() ? `: ${firstLine(resultText)}` : '';
      applyFailure(
        out,
        {
          failureClass: 'permission-blocked',
          message: capText(`permission denied for ${tools}${said}`),
          resetAt: null,
        },
        true,
      );
    } else if (subtype === 'error_max_turns') {
      const turns = out.turns === null ? '' : ` (${out.turns} turns)`;
      applyFailure(
        out,
        { failureClass: 'transient', message: `max turns reached${turns}`, resetAt: null },
        true,
      );
    } else if (isError) {
      applyFailure(
        out,
        {
          failureClass: 'transient',
          message: firstLine(errorText) || subtype || 'error result',
          resetAt: null,
        },
        true,
      );
    }
  };

  return {
    line(text) {
      const event = parseJsonObject(text);
      if (!event) {
        if (!text.trim()) return;
        absorbText(out, text, tag);
        const line = capText(text.trim());
        if (SESSION_GONE.test(line)) out.sessionGone = true;
        if (resultSeen) return;
        if (ROOT_REFUSED.test(line)) {
          hint = { failureClass: 'permission-blocked', message: capText(`claude refused to run as root: ${CLAUDE_ROOT_FIX}. Claude said: ${line}`), resetAt: null };
        } else if (looksRateLimited(line)) hint = laterFailure(hint, failureFromMessage(line, now));
        return;
      }
      if (out.sessionId === null && typeof event.session_id === 'string') out.sessionId = event.session_id;
      if (event.type === 'system' && event.subtype === 'init') onInit(event);
      else if (event.type === 'system' && event.subtype === 'api_retry') onRetry(event);
      else if (event.type === 'assistant') onAssistant(event);
      else if (event.type === 'result') onResult(event);
    },
    result() {
      // Without a result event the run died early; a limit notice it printed explains why.
      return snapshot(out, resultSeen ? null : hint);
    },
  };
}
