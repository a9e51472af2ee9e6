import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { connectionConfig, runUrl } from '../../config/connection';
import { InvalidInputError } from '../../model/errors';
import { type LoopRequestInput, loopWorkflowId } from '../../model/loopRequest';
import { AGENT_KINDS, slugify } from '../../model/request';
import { loopStatusQuery } from '../../workflows/loop/messages';
import { LOOP_TERMINAL, type LoopStatusView } from '../../workflows/loop/state';
import { type Command, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';
import { agentFlags, agentFromFlags, agentOptions, agentSpec } from '../agentFlags';
import { cancelLoop, startHookLoop } from '../hookLoops';
import { warnIfNoWorker } from '../workers';
import { continueLoop, type LoopListing, listLoops, loopStatus, parseLoopRequest, startLoop } from '../loops';
import { policyFlags, policyFromFlags, policyOptions, policySpec } from '../policyFlags';
import { tokensNote } from '../tokens';

const count = (what: string) => z.string().regex(/^[1-9]\d*$/, `expected a whole number of ${what}, at least 1`).optional();
const usd = z.string().regex(/^\d+(\.\d+)?$/, 'expected an amount in USD, like 5 or 2.50').optional();

const Options = z
  .object({
    repo: z.string().optional(),
    'task-name': z.string().optional(),
    lightweight: z.boolean().default(false),
    'max-sessions': count('sessions'),
    hook: z.boolean().default(false),
    'max-iterations': count('iterations'),
    cancel: z.boolean().default(false),
    'completion-promise': z.string().min(1).optional(),
    verify: z.string().min(1).optional(),
    budget: usd,
    'log-file': z.string().optional(),
    'no-commit': z.boolean().default(false),
    ...agentFlags,
    // No default: with --continue, an absent --agent keeps the loop's agent.
    agent: z.enum(AGENT_KINDS).optional(),
    continue: z.boolean().default(false),
    list: z.boolean().default(false),
    status: z.boolean().default(false),
    wait: z.boolean().default(false),
    json: z.boolean().default(false),
    ...policyFlags,
  })
  .refine((o) => [o.continue, o.list, o.status, o.cancel, o.hook].filter(Boolean).length <= 1, { message: 'give at most one of --hook, --continue, --list, --status, --cancel', path: ['continue'] })
  .refine((o) => !o['max-iterations'] || o.hook, { message: '--max-iterations goes with --hook (headless loops: --max-sessions)', path: ['max-iterations'] })
  .refine((o) => o.agent !== 'command' || o['agent-command'], { message: '--agent command needs --agent-command "<program> <args>"', path: ['agentCommand'] });
type Options = z.infer<typeof Options>;

export const loop: Command = {
  name: 'loop',
  summary: 'Work on one task over many agent sessions until it is done (seed 003).',
  usage: 'nightshift loop "task description" --repo DIR [options] | --hook "task" | --continue [NAME] | --status NAME | --list | --cancel NAME',
  help: `
The agent works in the repository's checkout on its current branch; the loop's files live in
<repo>/.autonomous/<task-name>/ (task_list.md, progress.md, sessions/session-NNN.log), kept out of git
through .git/info/exclude. One runner per task: the workflow id loop-<task-name> is the lock.

Options:
  --repo DIR                the git repository to work in (default: .)
  --task-name NAME          the task's name (default: from the description)
  --lightweight             Ralph-style: the same prompt every session, no task list (default: structured:
                            an initializer session writes task_list.md, executors tick its items)
  --max-sessions N          stop as max-sessions-reached after N sessions of this runner (default: unlimited)
  --completion-promise TEXT the agent prints <promise>TEXT</promise> when done (default: DONE)
  --verify CMD              a claimed completion counts only if \`sh -c CMD\` passes in the repo; otherwise it
                            is recorded as a false completion and the loop goes on
  --budget USD              budget of this runner (same as --build-budget); the loop stops as budget-exceeded when it is spent
  --log-file FILE           also append a seed-000 build-session entry to FILE (relative to the repo)
  --no-commit               do not commit after each session (default: one commit "session-N: <summary>")
${agentOptions}
${policyOptions}
  --continue [NAME]         a new runner for a stopped task (default: the most recent one); sessions keep their
                            numbers and the counters (sessions, cost, false completions) carry over.
                            --max-sessions, --verify, --budget, --session-budget, --agent... override the old ones
  --hook                    hook mode (seed 003's setup-loop.sh): no agent is run; the Stop hook of your
                            interactive Claude Code session in --repo reports each stop to the loop, which
                            blocks it and hands the prompt back until <promise>TEXT</promise> or the limit.
                            Installs the hook in <repo>/.claude/settings.local.json (merged with what is
                            there) and writes <repo>/.claude/nightshift-loop.local.json; deleting that file
                            cancels the loop. Without Temporal the hook decides by the same rule locally
  --max-iterations N        with --hook: let the session stop after N iterations (default: unlimited)
  --cancel NAME             cancel the loop; a hook-mode loop's hook and state file are removed too
  --status NAME             the task's state: sessions, checkboxes, completion, false completions, cost
  --list                    every task with its sessions and checkbox progress (with --repo: also task dirs on disk)
  --wait                    follow the loop until it stops or needs you
  --json                    machine-readable output

A failing session is retried (--max-attempts, --retry-interval), then waits for you; a missing login
(auth), a spent budget, a blocked permission or a stuck agent wait for you at once:
  temporal workflow signal --workflow-id loop-NAME --name retry            run it again
  temporal workflow update execute --workflow-id loop-NAME --name override --input '{"note":"why"}'
Cancel a loop with: nightshift loop --cancel NAME (or temporal workflow cancel --workflow-id loop-NAME)

Examples:
  nightshift loop "Build a REST API for todos" --repo ~/src/api --max-sessions 10
  nightshift loop "Fix all failing tests in src/" --lightweight --verify "npm test" --repo .
  nightshift loop --continue rest-api --max-sessions 5
  nightshift loop --hook "Fix the flaky tests" --max-iterations 10 --repo .   # then run claude in the repo`,
  async run(argv) {
    const { options: o, positionals } = parseOptions('loop', argv, spec, Options);
    // Every argument is checked before connecting: bad input is answered with or without a server.
    const named = o.status ? oneName('--status', positionals) : o.cancel ? oneName('--cancel', positionals) : undefined;
    if (o.list && positionals.length > 0) throw new InvalidInputError(`unexpected arguments: ${positionals.join(' ')}`, '--list');
    if (o.continue) {
      if (positionals.length > 1) throw new InvalidInputError(`unexpected arguments: ${positionals.slice(1).join(' ')}`, '--continue');
      if (!o.agent && AGENT_FLAG_NAMES.some((k) => k !== 'agent' && k !== 'agent-command' && givenFlag(o[k]))) {
        // The agent is replaced whole on --continue: settings without --agent would silently become the scripted agent's.
        throw new InvalidInputError('with --continue, agent settings replace the agent: give --agent too', '--agent', 'For example: nightshift loop --continue NAME --agent claude --model sonnet');
      }
    }
    const fresh = o.list || o.status || o.cancel || o.continue ? undefined : newLoop(o, positionals);
    return withClient(async ({ client, namespace }) => {
      if (o.list) return list(client, o);
      if (o.status) return status(client, o, named as string);
      if (o.cancel) return cancel(client, o, named as string);
      if (o.continue) {
        const { handle, request, counters } = await continueLoop(client, positionals[0], overridesFrom(o));
        return started(client, namespace, o, handle.workflowId, handle.firstExecutionRunId, request.taskName, `continued after ${counters.sessions} session(s)`);
      }
      const { task, repo } = fresh as { task: string; repo: string };
      if (o.hook) return hook(client, namespace, o, { taskName: o['task-name'] ?? defaultTaskName(task), task, repo });
      const request = parseLoopRequest(
        {
          taskName: o['task-name'] ?? defaultTaskName(task),
          task,
          repo,
          mode: o.lightweight ? 'lightweight' : 'structured',
          ...(o['completion-promise'] ? { completionPromise: o['completion-promise'] } : {}),
          commitEachSession: !o['no-commit'],
          ...overridesFrom(o),
        },
        '--task-name',
      );
      const handle = await startLoop(client, request);
      return started(client, namespace, o, handle.workflowId, handle.firstExecutionRunId, request.taskName, `${request.mode} mode`);
    });
  },
};

function oneName(flag: string, positionals: string[]): string {
  const [name, ...rest] = positionals;
  if (!name || rest.length > 0) throw new InvalidInputError('expected one task NAME', flag, `Usage: nightshift loop ${flag} NAME`);
  return name;
}

/** A new loop's task and repository, checked; hook mode runs no agent, so agent settings are refused there. */
function newLoop(o: Options, positionals: string[]): { task: string; repo: string } {
  const task = positionals.join(' ').trim();
  if (!task) throw new InvalidInputError('a task description is required', undefined, `Usage: nightshift loop ${o.hook ? '--hook ' : ''}"task description" --repo DIR`);
  const repo = resolve(o.repo ?? '.');
  if (spawnSync('git', ['-C', repo, 'rev-parse', '--git-dir']).status !== 0) {
    throw new InvalidInputError(`${repo} is not a git repository`, '--repo', 'Point --repo at the repository the agent should work in.');
  }
  if (o.hook) {
    const agentFlag = AGENT_FLAG_NAMES.find((k) => givenFlag(o[k]));
    if (agentFlag) throw new InvalidInputError('does not apply with --hook: hook mode runs no agent, your interactive Claude Code session is the agent', `--${agentFlag}`, 'Drop the agent flags, or leave out --hook to run the agent headless.');
  }
  return { task, repo };
}

const spec = {
  repo: { type: 'string' },
  'task-name': { type: 'string' },
  lightweight: { type: 'boolean' },
  'max-sessions': { type: 'string' },
  hook: { type: 'boolean' },
  'max-iterations': { type: 'string' },
  cancel: { type: 'boolean' },
  'completion-promise': { type: 'string' },
  verify: { type: 'string' },
  budget: { type: 'string' },
  'log-file': { type: 'string' },
  'no-commit': { type: 'boolean' },
  ...agentSpec,
  continue: { type: 'boolean', short: 'c' },
  list: { type: 'boolean', short: 'l' },
  status: { type: 'boolean' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  ...policySpec,
} as const;

/** The settings a flag gives explicitly: a new loop's request, or what `--continue` replaces. */
function overridesFrom(o: Options): Partial<LoopRequestInput> {
  const policy = policyFromFlags(o);
  return {
    ...(o['max-sessions'] ? { maxSessions: Number(o['max-sessions']) } : {}),
    ...(o.verify ? { verify: o.verify } : {}),
    ...(o['session-budget'] ? { sessionBudgetUsd: Number(o['session-budget']) } : {}),
    ...(o.budget || o['build-budget'] ? { buildBudgetUsd: Number(o.budget ?? o['build-budget']) } : {}),
    ...(o['log-file'] ? { logFile: o['log-file'] } : {}),
    ...(AGENT_FLAG_NAMES.some((k) => givenFlag(o[k]))
      ? { agent: agentFromFlags({ ...o, agent: o.agent ?? (o['agent-command'] ? 'command' : 'scripted') }) }
      : {}),
    ...(Object.keys(policy).length > 0 ? { policy } : {}),
  };
}

const AGENT_FLAG_NAMES = Object.keys(agentFlags) as (keyof typeof agentFlags)[];

function givenFlag(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;
}

function defaultTaskName(task: string): string {
  return slugify(task.split(/\r?\n/)[0] ?? task).slice(0, 40).replace(/-+$/, '') || 'task';
}

async function started(client: Client, namespace: string, o: Options, workflowId: string, runId: string, taskName: string, what: string, extra: Record<string, string> = {}): Promise<number> {
  const url = runUrl(namespace, workflowId, runId);
  if (!o.json) {
    print(`Started loop ${taskName} (${what}): ${workflowId}`);
    print(`  Web UI: ${url}`);
    print(`  follow: nightshift loop --status ${taskName}`);
  }
  if (!o.wait) {
    if (o.json) printJson({ taskName, workflowId, runId, url, ...extra });
    return 0;
  }
  const final = await followLoop(client, taskName);
  if (o.json) printJson({ taskName, workflowId, runId, url, ...extra, status: final });
  return final.status === 'completed' ? 0 : final.status === 'awaiting-human' ? 3 : 1;
}

/** Prints each new session, status and agent line until the loop stops or waits for a person. */
async function followLoop(client: Client, taskName: string, intervalMs = 500): Promise<LoopStatusView> {
  const handle = client.workflow.getHandle(loopWorkflowId(taskName));
  let last = '';
  for (;;) {
    const view = await handle.query(loopStatusQuery).catch(() => undefined);
    if (view) {
      const line = summary(view);
      if (line !== last) print(`  ${new Date().toISOString().slice(11, 19)}  ${line}`);
      last = line;
      if (view.status === 'awaiting-human' || LOOP_TERMINAL.includes(view.status)) return view;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function summary(v: LoopStatusView): string {
  const boxes = v.checkboxes ? ` · ${v.checkboxes.done}/${v.checkboxes.total} boxes` : '';
  const fc = v.falseCompletionCount ? ` · ${v.falseCompletionCount} false completion(s)` : '';
  return `${v.status} · session ${v.sessions}${boxes}${fc}${v.lastOutput ? ` · ${v.lastOutput.slice(0, 80)}` : ''}`;
}

async function status(client: Client, o: Options, name: string): Promise<number> {
  const v = await loopStatus(client, name);
  if (o.json) {
    printJson(v);
    return 0;
  }
  print(`${v.taskName} (${v.execution === 'hook' ? 'hook mode' : v.mode}): ${v.status}${v.stopReason ? ` — ${v.stopReason}` : ''}`);
  print(`  ${v.execution === 'hook' ? 'iterations' : 'sessions  '} ${v.sessions} in total, ${v.runSessions} by this runner${v.maxSessions ? ` (at most ${v.maxSessions})` : ''}`);
  const last = v.iterations.at(-1);
  if (last) print(`  last stop  iteration ${last.n}: ${last.decision === 'block' ? 'prompt handed back' : 'allowed'} · transcript ${last.transcriptPath}`);
  if (v.checkboxes) print(`  task list  ${v.checkboxes.done}/${v.checkboxes.total} done${v.nextItem ? ` · next: ${v.nextItem}` : ''}`);
  print(`  completion ${v.completion ? `session ${v.completion.session} by ${v.completion.by}${v.completion.verified ? ', verified' : ''}` : `not yet (<promise>${v.completionPromise}</promise>)`}`);
  print(`  false      ${v.falseCompletionCount} false completion(s)${v.falseCompletions.length ? `, last in session ${v.falseCompletions[v.falseCompletions.length - 1]?.session}` : ''}`);
  print(`  cost       $${v.costUsd.toFixed(2)}${tokensNote(v.tokens)}`);
  print(`  files      ${v.dir}`);
  if (v.host) print(`  host       ${v.host} (the loop's checkout is there; its sessions run there)`);
  if (v.lastCommit) print(`  commit     ${v.lastCommit.slice(0, 12)}`);
  if (v.waiting) print(`  WAITING    (${v.waiting.reason}) ${v.waiting.message.split('\n')[0]}`);
  if (v.lastOutput) print(`  agent      ${v.lastOutput.slice(0, 120)}`);
  return 0;
}

/** Claude Code's default limit of consecutive Stop hook blocks in one turn (2.1.197: CLAUDE_CODE_STOP_HOOK_BLOCK_CAP, default 8). */
const CLAUDE_STOP_BLOCK_CAP = 8;

async function hook(client: Client, namespace: string, o: Options, input: { taskName: string; task: string; repo: string }): Promise<number> {
  const { address } = connectionConfig();
  const h = await startHookLoop(
    client,
    { ...input, ...(o['max-iterations'] ? { maxIterations: Number(o['max-iterations']) } : {}), ...(o['completion-promise'] ? { completionPromise: o['completion-promise'] } : {}) },
    { address, namespace },
  );
  // Without a worker every stop waits out the hook's 5 s budget and is decided by the local rule.
  await warnIfNoWorker(client, namespace);
  const limit = h.request.maxSessions ? ` (at most ${h.request.maxSessions} iterations)` : '';
  if (!o.json) {
    print(`Installed the Stop hook of loop ${input.taskName} in ${h.settingsFile}; state in ${h.stateFile}`);
    print(`Now run Claude Code in ${input.repo} and give it the task: each time it stops, the hook hands the prompt`);
    print(`back until it prints <promise>${h.request.completionPromise}</promise>${limit}.`);
    print(`  cancel: nightshift loop --cancel ${input.taskName}   (or delete ${h.stateFile})`);
    if (!h.request.maxSessions || h.request.maxSessions > CLAUDE_STOP_BLOCK_CAP) {
      print(`  note: Claude Code ends a turn after ${CLAUDE_STOP_BLOCK_CAP} blocked stops in a row whatever the hook says; the loop then waits for`);
      print(`  the session's next stop. To go further in one turn, raise CLAUDE_CODE_STOP_HOOK_BLOCK_CAP (environment, or "env" in the settings).`);
    }
  }
  return started(client, namespace, o, h.workflowId, h.runId, input.taskName, 'hook mode', { settingsFile: h.settingsFile, stateFile: h.stateFile, prompt: h.prompt });
}

async function cancel(client: Client, o: Options, name: string): Promise<number> {
  const c = await cancelLoop(client, name);
  if (o.json) {
    printJson(c);
    return 0;
  }
  print(c.cancelled ? `Cancelled loop ${name}.` : `Loop ${name} had already ended.`);
  if (c.hookRemoved) print('  removed its Stop hook from .claude/settings.local.json');
  if (c.stateRemoved) print('  removed .claude/nightshift-loop.local.json');
  return 0;
}

async function list(client: Client, o: Options): Promise<number> {
  const loops = await listLoops(client, o.repo ? { repo: resolve(o.repo) } : {});
  if (o.json) {
    printJson(loops);
    return 0;
  }
  if (loops.length === 0) {
    print('No loops yet. Start one with `nightshift loop "task" --repo DIR`.');
    return 0;
  }
  const rows = loops.map((l: LoopListing) => [
    l.taskName,
    l.status,
    l.mode ?? '-',
    String(l.sessions),
    l.checkboxes ? `${l.checkboxes.done}/${l.checkboxes.total}` : '-',
    l.falseCompletions ? String(l.falseCompletions) : '-',
  ]);
  const head = ['TASK', 'STATUS', 'MODE', 'SESSIONS', 'BOXES', 'FALSE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const r of [head, ...rows]) print(r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd());
  return 0;
}
