import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { runUrl } from '../../config/connection';
import { type ParsedBuildQueue, parseBuildQueueMd } from '../../model/buildQueueMd';
import { InvalidDocumentError, InvalidInputError } from '../../model/errors';
import { TimeZoneSchema } from '../../model/offHours';
import type { Plan } from '../../model/plan';
import { loadPlanFile } from '../../model/planFile';
import { PRIORITIES, type QueueEntryInput } from '../../model/queueEntry';
import { slugify } from '../../model/request';
import type { EnqueueAnswer, EnqueueRequest } from '../../workflows/queue/messages';
import { initialQueueState, prepareEnqueue } from '../../workflows/queue/state';
import { type Command, parseOptions, print, printJson } from '../cli';
import { type Connected, withClient } from '../connect';
import { agentFlags, agentFromFlags, agentOptions, agentSpec } from '../agentFlags';
import { policyFlags, policyOptions, policyFromFlags, policySpec } from '../policyFlags';
import { EnqueueRefusedError, enqueue, queueViewIfRunning } from '../queue';
import { warnIfNoWorker } from '../workers';
import { deliverFlag, deliverOption, deliverSpec, withRepoConfig } from '../repoConfigFlags';
import { gateFlag, gateOf, gateOption, gateSpec } from '../gateFlags';
import { pushFlag, pushFromFlags, pushOption, pushSpec } from '../pushFlags';

const Options = z
  .object({
    name: z.string().trim().min(1).optional(),
    desc: z.string().optional(),
    priority: z.enum(PRIORITIES).default('high'),
    criteria: z.array(z.string()).default([]),
    time: z.string().optional(),
    tech: z.string().optional(),
    blocker: z.array(z.string()).default([]),
    risky: z.boolean().default(false),
    plan: z.string().optional(),
    loop: z.string().optional(),
    from: z.string().optional(),
    tz: TimeZoneSchema.default('UTC'),
    repo: z.string({ message: '--repo DIR is required: the git repository the build works in' }),
    label: z.string().optional(),
    base: z.string().optional(),
    after: z.string().optional(),
    ...agentFlags,
    ...deliverFlag,
    ...gateFlag,
    ...pushFlag,
    'max-sessions': z.string().regex(/^[1-9]\d*$/, 'expected a whole number of sessions').optional(),
    queue: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a queue name like "default" or "night"').default('default'),
    json: z.boolean().default(false),
    ...policyFlags,
  })
  .refine((o) => !(o.plan && o.loop), { message: 'give at most one of --plan FILE or --loop "task"', path: ['plan'] })
  .refine((o) => Boolean(o.from) !== Boolean(o.name), { message: 'give --name (one entry) or --from BUILD_QUEUE.md (many), not both', path: ['name'] })
  .refine((o) => !o.from || (!o.plan && !o.loop && !o.label), { message: '--from imports loop entries: --plan, --loop and --label go with --name', path: ['from'] })
  .refine((o) => o.agent !== 'command' || o['agent-command'], { message: '--agent command needs --agent-command "<program> <args>"', path: ['agentCommand'] });
type AddOptions = z.infer<typeof Options>;

const spec = {
  name: { type: 'string' },
  desc: { type: 'string' },
  priority: { type: 'string' },
  criteria: { type: 'string', multiple: true },
  time: { type: 'string' },
  tech: { type: 'string' },
  blocker: { type: 'string', multiple: true },
  risky: { type: 'boolean' },
  plan: { type: 'string' },
  loop: { type: 'string' },
  from: { type: 'string' },
  tz: { type: 'string' },
  repo: { type: 'string' },
  label: { type: 'string' },
  base: { type: 'string' },
  after: { type: 'string' },
  ...agentSpec,
  ...deliverSpec,
  ...gateSpec,
  ...pushSpec,
  'max-sessions': { type: 'string' },
  queue: { type: 'string' },
  json: { type: 'boolean' },
  ...policySpec,
} as const;

export const add: Command = {
  name: 'add',
  summary: 'Queue a build (seed 002 add_build_task.py), or import a BUILD_QUEUE.md; it starts as soon as the queue admits it.',
  usage: 'nightshift add --name NAME --desc TEXT --priority high|medium|low --criteria TEXT... (--plan FILE | --loop "task") --repo DIR [options]\n       nightshift add --from BUILD_QUEUE.md --repo DIR [options]',
  help: `
Options:
  --name NAME             what to build; the label (workflow build-LABEL, branch nightshift/LABEL) comes from it
  --desc TEXT             what to build, with what, and what it must do (vague descriptions are refused)
  --priority P            high: starts at once · medium: only in the off-hours window · low: after \`nightshift approve\`
  --criteria TEXT         a checkable completion criterion; repeat for more (at least one is required)
  --time "4 hours"        estimate (free text, must read as a duration)
  --tech "..."            tech stack, handed to the agent
  --blocker TEXT          an open blocker; repeat for more. The entry is queued but waits until it is re-added without it
  --risky                 needs \`nightshift approve\` before it starts (also detected from the text: emails, payments, production...)
  --plan FILE             run a plan (checkpoints -> task groups -> tasks) as a build
  --loop "task"           run a seed-003 structured loop on this task (default: a loop on --desc)
  --repo DIR              the git repository to build in (required)
  --label L               build label (default: from --name)
  --base REF              branch the build from REF
  --after LABEL           start only once the queue's LABEL has completed, from its branch nightshift/LABEL
                          (the work stacks); while LABEL fails or is cancelled this entry waits, saying so
${agentOptions}
${deliverOption}
${gateOption}
${pushOption}
  --max-sessions N        loops: stop after N sessions
${policyOptions}
  --from FILE             import a seed-format BUILD_QUEUE.md: each Active Queue entry is queued as a loop or
                          refused with its reasons; entries already queued and Completed ones are skipped
  --tz ZONE               with --from: the zone of the file's "Added:" times (default UTC)
  --queue NAME            the queue (default: default; started on first use)
  --json                  machine-readable answer

Answers the label and its position (0: building now), or every reason it was refused (exit 2, nothing queued).
With --from: exit 0 when every entry was queued or skipped, 2 when any was refused; a line of the file it
cannot read refuses the whole file (exit 2, its line named) before anything is queued.

Examples:
  nightshift add --name "Spotify Integration" --desc "Build OAuth integration with the Spotify API that fetches liked songs and creates weekly playlists" \\
    --priority high --criteria "OAuth flow working" --criteria "Playlists generated weekly" --time "4 hours" --tech "Python, Spotipy" --repo ~/src/app
  nightshift add --from ~/clawd/BUILD_QUEUE.md --repo ~/src/app`,
  async run(argv) {
    const { options: o } = parseOptions('add', argv, spec, Options);
    const repo = resolve(o.repo);
    if (spawnSync('git', ['-C', repo, 'rev-parse', '--git-dir']).status !== 0) {
      throw new InvalidInputError(`${repo} is not a git repository`, '--repo', 'Point --repo at the repository the agent should work in.');
    }
    // Every file and flag is read before anything is sent: bad input never queues half of itself.
    const plan = o.plan ? loadPlanFile(resolve(o.plan)) : undefined;
    const from = o.from ? readQueueFile(resolve(o.from), o.tz) : undefined;
    const configured = withRepoConfig(repo, argv, { agent: agentFromFlags(o), plan, ...(o.deliver ? { deliver: o.deliver } : {}) });
    const one = from ? undefined : { entry: entryOf(o, repo, configured.plan ?? plan), ...runSettings(o, configured) };
    const refused = one ? problemsOf(one, o.queue) : [];
    if (one && refused.length > 0) {
      // Refused here the way the queue would refuse it, so nothing is sent (and no worker is needed to say no).
      const label = String(one.entry.label);
      if (!o.json) throw new EnqueueRefusedError(label, refused);
      printJson({ accepted: false, label, reasons: refused });
      return 2;
    }
    // The queue answers once a worker has run it: say so if that takes a while, rather than hang silently.
    const hint = setTimeout(() => process.stderr.write('waiting for a worker to run the queue (is `nightshift worker` running?)...\n'), 5000);
    try {
      return await withClient(async (c) => {
        await warnIfNoWorker(c.client, c.namespace);
        return from ? addFrom(c, o, repo, from, configured) : addOne(c, o, one as EnqueueRequest);
      });
    } finally {
      clearTimeout(hint);
    }
  },
};

/** How an entry runs: the flags over the repository's `.nightshift/config.json` (repoConfigFlags.ts). */
function runSettings(o: AddOptions, configured: ReturnType<typeof withRepoConfig>): Omit<EnqueueRequest, 'entry'> {
  return {
    agent: configured.agent,
    ...(configured.setup ? { setup: configured.setup } : {}),
    ...(configured.deliver ? { deliver: configured.deliver } : {}),
    ...gateOf(resolve(o.repo), o.gate),
    policy: policyFromFlags(o),
    ...pushFromFlags(o),
    ...(o.base ? { baseRef: o.base } : {}),
    ...(o['max-sessions'] ? { maxSessions: Number(o['max-sessions']) } : {}),
  };
}

function target(o: AddOptions) {
  return { queue: o.queue };
}

/** What the queue's enqueue validator would refuse, decided without it: the entry's own problems. */
function problemsOf(request: EnqueueRequest, queue: string): string[] {
  const prepared = prepareEnqueue(initialQueueState(queue), request);
  return 'problems' in prepared ? prepared.problems : [];
}

function entryOf(o: AddOptions, repo: string, plan: Plan | undefined): QueueEntryInput {
  const name = o.name as string;
  return {
    label: o.label ?? slugify(name),
    name,
    description: o.desc ?? '',
    priority: o.priority,
    criteria: o.criteria,
    ...(o.time ? { estimate: o.time } : {}),
    ...(o.tech ? { tech: o.tech } : {}),
    blockers: o.blocker,
    risky: o.risky,
    addedAt: new Date().toISOString(),
    repo,
    kind: o.plan ? 'plan' : 'loop',
    ...(plan ? { plan } : {}),
    ...(o.loop ? { loopTask: o.loop } : {}),
    ...(o.after ? { after: o.after } : {}),
  };
}

async function addOne(c: Connected, o: AddOptions, request: EnqueueRequest): Promise<number> {
  let answer: EnqueueAnswer;
  try {
    answer = await enqueue(c.client, request, target(o));
  } catch (err) {
    if (err instanceof EnqueueRefusedError && o.json) {
      printJson({ accepted: false, label: err.label, reasons: err.reasons });
      return err.exitCode;
    }
    throw err;
  }
  const url = answer.workflowId ? runUrl(c.namespace, answer.workflowId) : null;
  if (o.json) printJson({ accepted: true, queue: o.queue, ...answer, url });
  else printAnswer(answer, o.queue, url);
  return 0;
}

function printAnswer(a: EnqueueAnswer, queue: string, url: string | null): void {
  if (a.building) {
    print(`Queued "${a.label}" in queue ${queue}: building now (${a.workflowId})`);
    if (url) print(`  Web UI: ${url}`);
    print(`  follow: nightshift status ${a.label}`);
    return;
  }
  print(`Queued "${a.label}" in queue ${queue} at position ${a.position}`);
  for (const r of a.reasons) print(`  waiting: ${r}`);
}

type ImportResult =
  | { name: string; label: string; result: 'accepted'; position: number; building: boolean }
  | { name: string; label: string; result: 'refused'; reasons: string[] }
  | { name: string; label: string; result: 'skipped'; reason: string };

/**
 * The BUILD_QUEUE.md to import, read whole before anything is queued: a line it cannot read refuses
 * the file (file and line named), so an import never queues the half of a file that happened to parse.
 */
function readQueueFile(file: string, timeZone: string): { file: string; parsed: ParsedBuildQueue } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, '--from');
  }
  const parsed = parseBuildQueueMd(text, { timeZone });
  if (parsed.problems.length > 0) {
    throw new InvalidDocumentError(
      file,
      parsed.problems.map((p) => `line ${p.line}: ${p.message}`),
      'Fix those lines (the format is in `nightshift add --help` and seed 002), then import again; nothing was queued.',
    );
  }
  return { file, parsed };
}

async function addFrom(c: Connected, o: AddOptions, repo: string, { file, parsed }: { file: string; parsed: ParsedBuildQueue }, configured: ReturnType<typeof withRepoConfig>): Promise<number> {
  const existing = await queueViewIfRunning(c.client, o.queue);
  const queued = new Set([...(existing?.waiting ?? []), ...(existing?.active ?? [])].map((e) => e.label));
  // A finished entry is not queued again by re-importing the same file; a failed or cancelled one may be.
  const built = new Set((existing?.recent ?? []).filter((c) => !['failed', 'cancelled', 'terminated'].includes(c.outcome)).map((c) => c.label));
  const results: ImportResult[] = [];
  for (const e of parsed.entries) {
    if (queued.has(e.label) || built.has(e.label)) {
      results.push({ name: e.name, label: e.label, result: 'skipped', reason: queued.has(e.label) ? 'already queued' : 'already built' });
      continue;
    }
    const entry: QueueEntryInput = {
      label: e.label,
      name: e.name,
      description: e.description,
      priority: e.priority,
      criteria: e.criteria,
      ...(e.estimate ? { estimate: e.estimate } : {}),
      ...(e.tech ? { tech: e.tech } : {}),
      blockers: e.blockers,
      risky: e.risky,
      approved: e.approved,
      addedAt: e.addedAt ?? new Date().toISOString(),
      repo,
      kind: 'loop',
    };
    const request = { entry, ...runSettings(o, configured) };
    const problems = problemsOf(request, o.queue);
    if (problems.length > 0) {
      results.push({ name: e.name, label: e.label, result: 'refused', reasons: problems });
      continue;
    }
    try {
      const a = await enqueue(c.client, request, target(o));
      results.push({ name: e.name, label: e.label, result: 'accepted', position: a.position, building: a.building });
    } catch (err) {
      if (!(err instanceof EnqueueRefusedError)) throw err;
      results.push({ name: e.name, label: e.label, result: 'refused', reasons: err.reasons });
    }
  }
  for (const done of parsed.completed) results.push({ name: done.name, label: slugify(done.name), result: 'skipped', reason: 'completed' });
  const refused = results.some((r) => r.result === 'refused');
  if (o.json) printJson({ file, queue: o.queue, results, problems: parsed.problems });
  else printImport(file, results, parsed.problems);
  return refused ? 2 : 0;
}

function printImport(file: string, results: ImportResult[], problems: { line: number; message: string }[]): void {
  print(`Imported ${file}:`);
  for (const r of results) {
    if (r.result === 'accepted') print(`  accepted  ${r.label}  ${r.building ? 'building now' : `position ${r.position}`}`);
    else if (r.result === 'skipped') print(`  skipped   ${r.label}  (${r.reason})`);
    else {
      print(`  refused   ${r.label}`);
      for (const why of r.reasons) print(`            - ${why}`);
    }
  }
  for (const p of problems) process.stderr.write(`warning: ${file}:${p.line}: ${p.message}\n`);
}
