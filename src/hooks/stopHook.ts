/**
 * The Claude Code Stop hook of a hook-mode loop (`nightshift loop --hook`). Claude Code runs it each
 * time the interactive session tries to stop, with the hook JSON on stdin (session_id,
 * transcript_path, cwd, stop_hook_active, last_assistant_message). It reports the stop to the loop
 * workflow (`iteration` update) and prints the answer in Claude Code's Stop hook format: nothing (the
 * session may stop) or `{"decision":"block","reason":"<prompt>"}` (keep going).
 *
 * It never hangs the session: every network call shares one budget (5 s by default,
 * NIGHTSHIFT_HOOK_BUDGET_MS), after which it decides by the local rule and exits. Its state file gone
 * means the person cancelled the loop: the hook lets the session stop and reports the cancel.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { hookOutput, MAX_HOOK_BUDGET_MS, promiseIn, type StopAnswer } from '../model/hookLoop';
import { MAX_LAST_MESSAGE_CHARS, type Iteration } from '../model/payloads';
import { loopWorkflowId } from '../model/loopRequest';
import { localDecision, localRuleMessage } from './localRule';
import { removeStopHook } from './settings';
import { readHookState, removeHookState, writeHookState } from './stateFile';

/** What the hook's command line names (src/hooks/settings.ts writes it). */
export interface HookArgs {
  taskName: string;
  repo: string;
  address: string;
  namespace: string;
}

/** Claude Code's Stop hook input; only what the loop uses, the rest ignored. */
export const StopHookInputSchema = z.looseObject({
  session_id: z.string().optional(),
  transcript_path: z.string().optional(),
  cwd: z.string().optional(),
  stop_hook_active: z.boolean().optional(),
  /** Since claude-code 2.x; older versions: read from the transcript. */
  last_assistant_message: z.string().optional(),
});
export type StopHookInput = z.infer<typeof StopHookInputSchema>;

/** How the hook reaches the workflow; the real one is Temporal's client, tests may pass another. */
export interface LoopRemote {
  iteration(workflowId: string, payload: Iteration, updateId: string): Promise<StopAnswer>;
  cancel(workflowId: string): Promise<void>;
}

/** The workflow is not there to ask (closed, unknown, or refusing hook stops): the loop is over. */
export class LoopGone extends Error {
  override name = 'LoopGone';
}

export interface HookResult {
  /** JSON for stdout (Claude Code's Stop hook output); {} lets the session stop. */
  output: Record<string, string>;
  /** For stderr: what the hook did and why. */
  message: string;
}

export function parseHookArgs(argv: string[]): HookArgs {
  const get = (flag: string): string => {
    const i = argv.indexOf(flag);
    const value = i >= 0 ? argv[i + 1] : undefined;
    if (!value) throw new Error(`the Stop hook needs ${flag} (reinstall it with nightshift loop --hook)`);
    return value;
  };
  return { taskName: get('--nightshift-loop'), repo: get('--repo'), address: get('--address'), namespace: get('--namespace') };
}

export async function runStopHook(args: HookArgs, input: StopHookInput, remote: LoopRemote, budgetMs: number): Promise<HookResult> {
  const workflowId = loopWorkflowId(args.taskName);
  const read = readHookState(args.repo);
  if (read.kind === 'unreadable') {
    return { output: { systemMessage: `nightshift: cannot read the loop's state (${read.problem}); the session may stop` }, message: `nightshift: ${read.problem}; fix or delete it (deleting cancels loop ${args.taskName})` };
  }
  if (read.kind === 'absent' || read.state.taskName !== args.taskName) {
    // Seed 003: deleting the state file cancels the loop.
    const told = await withinBudget(remote.cancel(workflowId), budgetMs).then(
      () => `loop ${args.taskName} cancelled`,
      (err: Error) => (err instanceof LoopGone ? `loop ${args.taskName} had already ended` : `could not tell the workflow (${err.message}); cancel it with nightshift loop --cancel ${args.taskName}`),
    );
    removeStopHook(args.repo, args.taskName);
    const message = `nightshift: the loop's state file is gone: ${told}; the hook is removed and the session may stop`;
    return { output: { systemMessage: message }, message };
  }
  const state = read.state;
  const lastMessage = input.last_assistant_message ?? lastAssistantText(input.transcript_path) ?? '';
  const promiseSeen = promiseIn(lastMessage, state.completionPromise);
  const payload: Iteration = {
    ...(input.session_id ? { sessionId: input.session_id.slice(0, 200) } : {}),
    transcriptPath: (input.transcript_path ?? '').slice(0, 4096),
    lastMessage: lastMessage.length > MAX_LAST_MESSAGE_CHARS ? lastMessage.slice(-MAX_LAST_MESSAGE_CHARS) : lastMessage,
    promiseSeen,
    ...(input.stop_hook_active !== undefined ? { stopHookActive: input.stop_hook_active } : {}),
  };
  let answer: StopAnswer;
  let message: string;
  try {
    answer = await withinBudget(remote.iteration(workflowId, payload, `stop-${input.session_id ?? 'session'}-${randomUUID()}`), budgetMs);
    message =
      answer.decision === 'block'
        ? `nightshift: loop ${state.taskName}, iteration ${answer.iteration}: the prompt is handed back`
        : `nightshift: loop ${state.taskName} ${answer.status} (${answer.reason}); the session may stop`;
    if (answer.decision === 'block') writeHookState(args.repo, { ...state, iterations: answer.iteration });
  } catch (err) {
    if (err instanceof LoopGone) {
      finish(args);
      const message = `nightshift: loop ${state.taskName} is no longer running (${err.message}); the hook is removed and the session may stop`;
      return { output: { systemMessage: message }, message };
    }
    const local = localDecision(state, promiseSeen);
    answer = local.answer;
    if (answer.decision === 'block') writeHookState(args.repo, local.next);
    message = localRuleMessage(state, answer, (err as Error).message);
  }
  if (answer.decision === 'allow') finish(args);
  return { output: hookOutput(answer, answer.decision === 'allow' ? message : undefined), message };
}

/** The loop is over for this repo: its hook and state file go (the workflow removes them too). */
function finish(args: HookArgs): void {
  removeStopHook(args.repo, args.taskName);
  removeHookState(args.repo, args.taskName);
}

/** Rejects once the budget is spent, so no network call outlives it. */
function withinBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The last assistant text of a transcript (JSONL), for Claude Code versions without last_assistant_message. */
export function lastAssistantText(transcriptPath: string | undefined): string | null {
  if (!transcriptPath || !existsSync(transcriptPath)) return null;
  const lines = readFileSync(transcriptPath, 'utf8').trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const entry = JSON.parse(lines[i] as string) as { type?: string; message?: { content?: unknown } };
      if (entry.type !== 'assistant' || !Array.isArray(entry.message?.content)) continue;
      const text = (entry.message.content as { type?: string; text?: string }[]).filter((b) => b.type === 'text').map((b) => b.text ?? '').join('\n');
      if (text) return text;
    } catch {
      // A line being written while we read: skip it.
    }
  }
  return null;
}

export function hookBudgetMs(): number {
  const n = Number(process.env.NIGHTSHIFT_HOOK_BUDGET_MS);
  return Number.isFinite(n) && n > 0 ? Math.min(n, MAX_HOOK_BUDGET_MS) : 5000;
}

function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => (text += d));
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', () => resolve(text));
  });
}

/** Claude Code runs `node dist/src/hooks/stopHook.js --nightshift-loop NAME --repo DIR --address A --namespace N`. */
async function main(): Promise<void> {
  let result: HookResult;
  try {
    const args = parseHookArgs(process.argv.slice(2));
    const input = StopHookInputSchema.parse(JSON.parse((await readStdin()) || '{}'));
    const { temporalRemote } = await import('./temporalRemote');
    const budget = hookBudgetMs();
    result = await runStopHook(args, input, temporalRemote(args, budget), budget);
  } catch (err) {
    // A broken hook must not trap the person in their session.
    result = { output: {}, message: `nightshift: the Stop hook failed (${(err as Error).message}); the session may stop` };
  }
  if (Object.keys(result.output).length > 0) process.stdout.write(`${JSON.stringify(result.output)}\n`);
  process.stderr.write(`${result.message}\n`);
  // Open gRPC channels must not keep the session waiting.
  process.exit(0);
}

if (require.main === module) void main();
