import { looksRateLimited, parseResetTime, systemClock, type Clock } from './classify';
import {
  absorbText,
  applyFailure,
  asArray,
  asNumber,
  asObject,
  asString,
  capText,
  firstLine,
  laterFailure,
  parseJsonObject,
  promiseTag,
  snapshot,
  type AdapterOptions,
  type Failure,
  type JsonObject,
} from './parserKit';
import { DEFAULT_MODEL_PRICES, priceUsage, type PriceTable } from './pricing';
import {
  emptyParsedOutput,
  type AgentAdapter,
  type InvocationContext,
  type OutputParser,
  type Usage,
} from './types';

/**
 * The sandbox codex runs commands in unless `--permission-mode` names another (`read-only`,
 * `danger-full-access`): the agent must write its worktree, and codex's own default is read-only.
 */
export const CODEX_DEFAULT_SANDBOX = 'workspace-write';

/**
 * OpenAI Codex CLI, `codex exec --json`, as 0.171.0 behaves (the pinned version, src/agents/cliVersions.ts).
 * It reports tokens but not dollars, so cost comes from a price table: `prices` entries merge over
 * `DEFAULT_MODEL_PRICES`.
 */
export function codexAgent(prices?: PriceTable, options: AdapterOptions = {}): AgentAdapter {
  const table: PriceTable = { ...DEFAULT_MODEL_PRICES, ...prices };
  const now = options.now ?? systemClock;
  return {
    name: 'codex',
    supportsResume: true,
    argv: codexArgv,
    parser: (ctx) =>
      codexParser(ctx.completionPromise, {
        model: ctx.model ?? null,
        prices: table,
        now,
        priorUsage: ctx.resumeSessionId ? (ctx.priorUsage ?? null) : null,
      }),
  };
}

/**
 * `codex exec` (or `codex exec resume <thread>`) with settings as `-c key=value`, which both
 * subcommands accept (`exec resume` has no `--sandbox`). Inside Nightshift's own sandbox
 * (`contained`) codex's sandbox is off: the outer one already limits what it may write, and codex's
 * bubblewrap cannot start inside one that dropped every capability (every write fails). `unbounded_connection_retries` is off so
 * that an unreachable endpoint ends the session after codex's few retries instead of "waiting for
 * network" forever; an older codex ignores the unknown key with a warning.
 */
export function codexArgv(ctx: InvocationContext): string[] {
  const argv = ctx.resumeSessionId ? ['codex', 'exec', 'resume', ctx.resumeSessionId] : ['codex', 'exec'];
  argv.push('--json');
  argv.push('-c', `sandbox_mode=${JSON.stringify(ctx.permissionMode ?? (ctx.contained ? 'danger-full-access' : CODEX_DEFAULT_SANDBOX))}`);
  // Headless, nobody answers an approval request: codex must act or fail, never ask.
  if (ctx.autoApprove) argv.push('-c', 'approval_policy="never"');
  argv.push('-c', 'features.unbounded_connection_retries=false');
  if (ctx.model) argv.push('--model', ctx.model);
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
  /**
   * For `exec resume`: the thread's usage when the previous session ended. Codex reports the whole
   * thread's total in `turn.completed`, so this session's share is the total minus this.
   */
  priorUsage?: Usage | null;
  /** The zone codex prints "try again at 5:46 PM" in: its own, which is the worker's (default). */
  timeZone?: string;
}

/**
 * Reads the JSONL event stream: `thread.started` (the thread to resume), `turn.*` (turns, usage,
 * failures), `item.*` (messages, commands, file changes) and top-level `error`s. Codex reports
 * recoverable trouble ("Reconnecting... 2/5") as an `error` too, so one only counts if no turn
 * completes after it. Plain lines are codex's own stderr (a config error, a thread it cannot resume).
 */
export function codexParser(completionPromise: string, options: CodexParserOptions = {}): OutputParser {
  const now = options.now ?? systemClock;
  const timeZone = options.timeZone ?? localTimeZone();
  const prices = options.prices ?? DEFAULT_MODEL_PRICES;
  const prior = options.priorUsage ?? null;
  const out = emptyParsedOutput();
  out.model = options.model ?? null;
  const tag = promiseTag(completionPromise);
  let turnFailed = false;
  let pendingError: Failure | null = null;
  let hint: Failure | null = null;
  let sandboxBroken = false;
  const failure = (message: string): Failure => codexFailure(message, now(), timeZone);

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
        if (completed && SANDBOX_HELPER_MISSING.test(asString(item.aggregated_output) ?? '')) sandboxBroken = true;
        break;
      }
      case 'file_change': {
        const changes = asArray(item.changes)
          .map((c) => asObject(c))
          .filter((c): c is JsonObject => c !== null)
          .map((c) => `${asString(c.kind) ?? 'change'} ${asString(c.path) ?? '?'}`);
        const failed = asString(item.status) === 'failed' ? ' (failed)' : '';
        if (completed && changes.length > 0) out.lastLine = capText(`files: ${changes.join(', ')}${failed}`);
        break;
      }
      case 'mcp_tool_call':
        out.lastLine = capText(`tool: ${asString(item.server) ?? '?'}.${asString(item.tool) ?? '?'}`);
        break;
      case 'web_search':
        out.lastLine = capText(`search: ${asString(item.query) ?? ''}`);
        break;
      default:
        // reasoning, todo_list, non-fatal error items (unknown model metadata, ignored config keys)
        // and anything newer: not output.
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
          const total = {
            inputTokens: asNumber(usage.input_tokens) ?? 0,
            cachedInputTokens: asNumber(usage.cached_input_tokens) ?? 0,
            outputTokens: asNumber(usage.output_tokens) ?? 0,
          };
          out.threadUsage = total;
          out.usage = sessionShare(total, prior);
        }
        pendingError = null;
        break;
      }
      case 'turn.failed': {
        const message = asString(asObject(event.error)?.message) ?? 'turn failed';
        turnFailed = true;
        applyFailure(out, failure(message), true);
        break;
      }
      case 'error':
        pendingError = failure(asString(event.message) ?? 'error');
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

  const onPlainLine = (text: string): void => {
    const line = text.trim();
    // A Rust backtrace after an error says nothing a person can act on.
    if (!line || BACKTRACE.test(line)) return;
    if (NOISE.test(line)) return;
    absorbText(out, text, tag);
    if (GONE.test(line)) out.sessionGone = true;
    if (/^error\b/i.test(line) || looksRateLimited(line)) hint = laterFailure(hint, failure(line));
  };

  return {
    line(text) {
      const event = parseJsonObject(text);
      if (event) onEvent(event);
      else onPlainLine(text);
    },
    result() {
      const current = { ...out };
      if (!turnFailed && pendingError) applyFailure(current, pendingError, true);
      // No command could run: whatever the agent said, nothing it did in a shell happened.
      if (sandboxBroken && current.failureClass === null) applyFailure(current, { failureClass: 'permission-blocked', message: SANDBOX_FIX, resetAt: null }, true);
      if (current.usage) current.costUsd = priceUsage(current.model, current.usage, prices);
      const snap = snapshot(current, hint);
      return { ...snap, threadUsage: current.threadUsage ? { ...current.threadUsage } : null };
    },
  };
}

const BACKTRACE = /^(?:stack backtrace:|\d+: (?:<unknown>|0x[0-9a-f]+|[\w:<>]+)|at \S+:\d+(?::\d+)?)$/i;
/** Start-up notices on stderr that are not the agent's output. */
const NOISE = /^(?:WARNING: proceeding, even though we could not create PATH aliases|Reading (?:additional )?(?:input|prompt) from stdin)/;
/** Bubblewrap cannot find codex's helper, which codex will not create in a CODEX_HOME under /tmp. */
const SANDBOX_HELPER_MISSING = /execvp codex-linux-sandbox/;
const SANDBOX_FIX =
  "codex's sandbox could not run any command (bwrap: execvp codex-linux-sandbox): codex does not create its sandbox helper in a CODEX_HOME under a temp dir; give the worker a CODEX_HOME outside /tmp (~/.codex is fine)";
/** `exec resume` of a thread this machine's codex does not have. */
const GONE = /no rollout found for thread id|thread\/resume failed/i;

/**
 * This session's share of the thread's token total. A total below the prior one cannot be the
 * same thread's (or codex compacted it): then the whole total is this session's.
 */
export function sessionShare(total: Usage, prior: Usage | null): Usage {
  if (!prior) return { ...total };
  if (
    total.inputTokens < prior.inputTokens ||
    total.outputTokens < prior.outputTokens ||
    total.cachedInputTokens < prior.cachedInputTokens
  )
    return { ...total };
  return {
    inputTokens: total.inputTokens - prior.inputTokens,
    cachedInputTokens: total.cachedInputTokens - prior.cachedInputTokens,
    outputTokens: total.outputTokens - prior.outputTokens,
  };
}

// Codex 0.171.0 reads CODEX_API_KEY, not OPENAI_API_KEY, for its built-in provider.
const LOGIN_FIX =
  'run `codex login` as the worker\'s user, or give the worker CODEX_API_KEY (its environment or NIGHTSHIFT_AGENT_ENV_FILE); with a custom model_provider, the variable its env_key names';
const MISSING_KEY = /missing environment variable:?\s*`?([A-Za-z_][A-Za-z0-9_]*)`?/i;
const UNAUTHORIZED = /\b401\b|unauthori[sz]ed|invalid[ _]api[ _]key|incorrect api key/i;
const OUT_OF_QUOTA = /quota exceeded|insufficient[ _]quota|check your plan and billing/i;
/** Codex prints reset times to the minute, cut down ("5:45 PM" for 5:45:51): the limit lifts within the minute after. */
const TRY_AGAIN_AT = /try again at/i;

/**
 * What one codex error message means, with the fix in the message when a person must act:
 * no API key or a refused login (`auth`), an account out of quota (`budget-exceeded`), a usage or
 * rate limit with its reset time (`rate-limited`), anything else (`transient`).
 */
export function codexFailure(message: string, now: Date, timeZone = 'UTC'): Failure {
  const said = firstLine(message);
  const missing = MISSING_KEY.exec(message);
  if (missing)
    return {
      failureClass: 'auth',
      // Worded so that the redactor does not read "key: <fix>" as a secret.
      message: `codex reads its API key from ${missing[1]}, which the agent's environment does not have: give the worker that variable (its own environment or NIGHTSHIFT_AGENT_ENV_FILE), or run \`codex login\`. Codex said: ${said}`,
      resetAt: null,
    };
  if (UNAUTHORIZED.test(message))
    return { failureClass: 'auth', message: `codex's login was refused: ${LOGIN_FIX}. Codex said: ${said}`, resetAt: null };
  if (OUT_OF_QUOTA.test(message))
    return {
      failureClass: 'budget-exceeded',
      message: `the OpenAI account is out of quota: check its plan and billing, then retry. Codex said: ${said}`,
      resetAt: null,
    };
  if (looksRateLimited(message)) {
    const reset = parseResetTime(message, now, timeZone);
    const margin = reset !== null && TRY_AGAIN_AT.test(message) ? 60_000 : 0;
    return {
      failureClass: 'rate-limited',
      message: said,
      resetAt: reset === null ? null : new Date(Date.parse(reset) + margin).toISOString(),
    };
  }
  return { failureClass: 'transient', message: said, resetAt: null };
}

function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
