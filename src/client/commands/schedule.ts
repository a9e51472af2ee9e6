import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../../model/duration';
import { InvalidInputError } from '../../model/errors';
import { AgentSpecSchema, LabelSchema } from '../../model/request';
import { TimeZoneSchema } from '../../model/offHours';
import { describeIssues } from '../../model/zodIssues';
import { agentFlags, agentFromFlags, agentOptions, agentSpec } from '../agentFlags';
import { type Command, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';
import { controlSchedule, createLoopSchedule, listLoopSchedules, type ScheduleVerb } from '../schedules';

const duration = (flag: string) =>
  z
    .string()
    .refine((v) => parseDuration(v) !== undefined && (parseDuration(v) as number) > 0, { message: `expected a duration like 30m or 1h (--${flag})` });

const Options = z.object({
  every: duration('every').optional(),
  repo: z.string().default('.'),
  'prompt-file': z.string().optional(),
  ...agentFlags,
  'max-budget': z.string().regex(/^\d+(\.\d+)?$/, 'expected an amount in USD, like 5 or 2.50').optional(),
  'max-session-time': duration('max-session-time').optional(),
  'log-file': z.string().optional(),
  'time-zone': TimeZoneSchema.optional(),
  json: z.boolean().default(false),
});
type Options = z.infer<typeof Options>;

const spec = {
  every: { type: 'string' },
  repo: { type: 'string' },
  'prompt-file': { type: 'string' },
  ...agentSpec,
  'max-budget': { type: 'string' },
  'max-session-time': { type: 'string' },
  'log-file': { type: 'string' },
  'time-zone': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const VERBS = ['add', 'list', 'pause', 'unpause', 'delete', 'trigger'] as const;

export const schedule: Command = {
  name: 'schedule',
  summary: 'Scheduled build sessions (seed 000): one agent session every interval, logged and committed.',
  usage: 'nightshift schedule add NAME --every 1h --repo DIR --prompt-file FILE [options] | list | pause|unpause|delete|trigger NAME',
  help: `
Each session is a one-session lightweight loop (workflow loop-NAME-<time>) in the repo's checkout: the
prompt file's content is its task; afterwards a "## Build Session: HH:MM — Title" entry is appended to
the log file and committed with the session's work. The Temporal Schedule is nightshift-NAME.

Commands:
  add NAME          create the schedule
  list              every Nightshift schedule: interval, paused, next run, last session
  pause NAME        stop starting sessions (a running one finishes)
  unpause NAME      start again
  trigger NAME      run one session now (skipped if one is still running)
  delete NAME       remove the schedule (sessions already started keep running)

Options for add:
  --every D               interval: 30m, 1h, 1d (required)
  --repo DIR              the git repository (default: .)
  --prompt-file FILE      the session's instructions (required)
${agentOptions}
  --max-budget USD        budget of each session
  --max-session-time D    limit for one session (default 12h)
  --log-file FILE         the build log, relative to the repo (default: BUILD_LOG.md)
  --time-zone TZ          zone of the HH:MM in log entries (default: UTC)
  --json                  machine-readable output (every command)

Examples:
  nightshift schedule add hourly --every 1h --repo ~/src/app --prompt-file build-session.md
  nightshift schedule trigger hourly`,
  async run(argv) {
    const { options: o, positionals } = parseOptions('schedule', argv, spec, Options);
    const [verb, name, ...rest] = positionals;
    if (!verb || !(VERBS as readonly string[]).includes(verb)) {
      throw new InvalidInputError(`expected one of ${VERBS.join(', ')}${verb ? `, not "${verb}"` : ''}`, undefined, 'See `nightshift schedule --help`.');
    }
    if (rest.length > 0) throw new InvalidInputError(`unexpected arguments: ${rest.join(' ')}`);
    if (verb === 'list') {
      if (name) throw new InvalidInputError(`unexpected argument: ${name}`, undefined, 'Usage: nightshift schedule list');
      return withClient(async ({ client }) => printList(await listLoopSchedules(client), o));
    }
    const checked = LabelSchema.safeParse(name);
    if (!name || !checked.success) {
      throw new InvalidInputError(name ? (checked.error?.issues[0]?.message ?? 'invalid name') : 'a schedule NAME is required', 'NAME', `Usage: nightshift schedule ${verb} NAME`);
    }
    if (verb === 'add') return add(name, o);
    return withClient(async ({ client }) => {
      await controlSchedule(client, name, verb as ScheduleVerb);
      if (o.json) printJson({ name, scheduleId: `nightshift-${name}`, done: verb });
      else print(`schedule ${name}: ${verb === 'trigger' ? 'a session was requested' : `${verb}d`}`);
      return 0;
    });
  },
};

async function add(name: string, o: Options): Promise<number> {
  if (!o.every) throw new InvalidInputError('--every is required', '--every', 'For example: --every 1h');
  if (!o['prompt-file']) throw new InvalidInputError('--prompt-file is required', '--prompt-file', 'A markdown file with the instructions for each session.');
  if (o.agent === 'command' && !o['agent-command']) throw new InvalidInputError('--agent command needs --agent-command "<program> <args>"', '--agent-command');
  const repo = resolve(o.repo);
  if (spawnSync('git', ['-C', repo, 'rev-parse', '--git-dir']).status !== 0) {
    throw new InvalidInputError(`${repo} is not a git repository`, '--repo', 'Point --repo at the repository the sessions should work in.');
  }
  let prompt: string;
  try {
    prompt = readFileSync(resolve(o['prompt-file']), 'utf8');
  } catch (err) {
    throw new InvalidInputError(`cannot read it: ${(err as Error).message}`, o['prompt-file']);
  }
  const everyMs = parseDuration(o.every) as number;
  const agent = parseAgentSpec(agentFromFlags(o));
  return withClient(async ({ client }) => {
    const id = await createLoopSchedule(client, {
      name,
      everyMs,
      repo,
      prompt,
      agent,
      ...(o['max-budget'] ? { maxBudgetUsd: Number(o['max-budget']) } : {}),
      ...(o['max-session-time'] ? { maxSessionTimeMs: parseDuration(o['max-session-time']) as number } : {}),
      ...(o['log-file'] ? { logFile: o['log-file'] } : {}),
      ...(o['time-zone'] ? { timeZone: o['time-zone'] } : {}),
    });
    if (o.json) printJson({ name, scheduleId: id, everyMs, repo });
    else {
      print(`Created schedule ${name} (${id}): a build session every ${formatDuration(everyMs)} in ${repo}`);
      print(`  run one now: nightshift schedule trigger ${name} · pause: nightshift schedule pause ${name}`);
    }
    return 0;
  });
}

function parseAgentSpec(input: unknown) {
  const parsed = AgentSpecSchema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.error).join('; '), '--agent');
  return parsed.data;
}

function printList(schedules: Awaited<ReturnType<typeof listLoopSchedules>>, o: Options): number {
  if (o.json) {
    printJson(schedules);
    return 0;
  }
  if (schedules.length === 0) {
    print('No schedules. Create one with `nightshift schedule add NAME --every 1h --repo DIR --prompt-file FILE`.');
    return 0;
  }
  for (const s of schedules) {
    print(`${s.name}  every ${s.everyMs ? formatDuration(s.everyMs) : '?'}${s.paused ? '  (paused)' : ''}  ${s.repo ?? ''}`);
    print(`  next: ${s.nextRun ?? '-'} · last session: ${s.lastRun ? `${s.lastRun.workflowId} at ${s.lastRun.startedAt}` : '-'}`);
  }
  return 0;
}
