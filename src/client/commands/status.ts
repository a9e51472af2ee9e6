import { z } from 'zod';
import { runUrl } from '../../config/connection';
import type { BuildStatusView } from '../../workflows/build/state';
import { buildStatus, type BuildListing, listBuilds } from '../builds';
import { deliveryLine } from '../../model/delivery';
import { withLatestDelivery } from '../delivery';
import { type Command, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';
import { InvalidInputError } from '../../model/errors';
import { queueView } from '../queue';
import { tokensNote } from '../tokens';
import { selectReports, withReportValue } from '../reportFlag';
import { type QueueSection, printSections, sectionsJson } from '../queueViews';
import { watchBoard } from './statusWatch';

const Options = z.object({
  json: z.boolean().default(false),
  queue: z.boolean().default(false),
  active: z.boolean().default(false),
  completed: z.boolean().default(false),
  'queue-name': z.string().default('default'),
  report: z.string().optional(),
  watch: z.boolean().default(false),
  filter: z.string().optional(),
});
const spec = {
  json: { type: 'boolean' },
  queue: { type: 'boolean' },
  active: { type: 'boolean' },
  completed: { type: 'boolean' },
  'queue-name': { type: 'string' },
  report: { type: 'string' },
  watch: { type: 'boolean' },
  filter: { type: 'string' },
} as const;

export const status: Command = {
  name: 'status',
  summary: 'Show one build in detail, every build, or the queue (--queue, --active, --completed).',
  usage: 'nightshift status [LABEL] [--json]\n       nightshift status --watch [--filter TEXT]\n       nightshift status [--queue] [--active] [--completed] [--queue-name NAME] [--json]',
  help: `
With LABEL: the build's status, position, checkpoints with their commits, attempts, DevNotes,
the last error and the agent's last line (from the build's \`status\` query).
Without: every build, newest first (from Temporal's visibility store; no worker needed).

With --watch: a live board of every build and loop, redrawn in place every 2 s until Ctrl-C: label,
status or wait reason, checkpoint, progress bar, cost, host, age and the agent's last line; the ones
waiting for you first, each with the command that moves it on. Piped or redirected, it prints plain
tab-separated lines instead, again whenever a row changes.

Options:
  --watch        the live board (see above); --filter TEXT keeps the labels containing TEXT
  --json         machine-readable output (one build: label, workflowId, status, checkpoints[{id,title,status,commit}], devNotes, ...)
  --queue        the build queue: position, priority, why each entry waits, attempts, age
  --active       builds running from the queue: progress, attempt, cost, age, Web UI link
  --completed    the queue's recent completions: outcome, duration, Web UI link
  --queue-name   which queue (default: default); the three views combine
  --report [all] with LABEL: the build's latest seed-001 report (Build Phase, Checkpoint N Complete,
                 Build Paused, Verification Failed, Build Complete) in markdown; all: every one, oldest first

Statuses: running, verifying, committing, paused, rate-limited (waiting for the agent's usage limit to
reset), awaiting-human (escalated | stalled | verification-failed | budget-exceeded | permission-blocked |
stuck), completed, failed, cancelled.`,
  async run(argv) {
    const { options, positionals } = parseOptions('status', withReportValue(argv), spec, Options);
    if (positionals.length > 1) throw new InvalidInputError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
    const label = positionals[0];
    const sections = (['active', 'queue', 'completed'] as const).filter((s): s is QueueSection => options[s]);
    if (label && sections.length > 0) throw new InvalidInputError('give a LABEL or --queue/--active/--completed, not both');
    if (options.watch && (label || sections.length > 0 || options.json)) throw new InvalidInputError('--watch shows every build and loop: give no LABEL, --json or queue view with it');
    return withClient(async ({ client, namespace }) => {
      if (options.watch) return watchBoard(client, options.filter !== undefined ? { filter: options.filter } : {});
      if (sections.length > 0) {
        const view = await queueView(client, options['queue-name']);
        if (options.json) printJson(await sectionsJson(client, namespace, view, sections));
        else await printSections(client, namespace, view, sections);
        return 0;
      }
      if (label) {
        const view = await withLatestDelivery(client, await buildStatus(client, label));
        if (options.report) {
          const text = selectReports(view.label, view.reports ?? [], options.report);
          if (options.json) printJson(options.report === 'all' ? (view.reports ?? []) : (view.reports ?? []).slice(-1));
          else print(text);
          return 0;
        }
        const url = runUrl(namespace, view.workflowId, view.runId);
        if (options.json) printJson({ ...view, url });
        else printBuild(view, url);
        return 0;
      }
      const builds = await listBuilds(client);
      if (options.json) printJson(builds.map((b) => ({ ...b, url: runUrl(namespace, b.workflowId, b.runId) })));
      else printList(builds);
      return 0;
    });
  },
};

function printBuild(v: BuildStatusView, url: string): void {
  print(`${v.label}: ${v.planTitle}`);
  print(`  status     ${v.status}${v.reason ? ` (${v.reason})` : ''}${v.pauseRequested && v.status !== 'paused' ? ' — pause requested' : ''}`);
  print(`  progress   ${v.percentComplete}%${v.position.checkpoint ? ` · at checkpoint ${v.position.checkpoint}${v.position.taskGroup ? `, task group ${v.position.taskGroup}` : ''}` : ''}`);
  print(`  branch     ${v.branch ?? '-'} (${v.repo})`);
  if (v.host) print(`  host       ${v.host} (worktree ${v.worktree ?? '-'})`);
  print(`  sessions   ${v.sessions} (${v.agent} agent)`);
  print(`  cost       $${v.spentUsd.toFixed(2)}${v.remainingUsd !== null ? ` spent, $${v.remainingUsd.toFixed(2)} of the build budget left` : ' spent'}${tokensNote(v.tokens)}`);
  print(`  web ui     ${url}`);
  if (v.delivery) print(`  ${deliveryLine(v.delivery)?.replace(/^delivery: /, 'delivery   ')}`);
  print('');
  for (const cp of v.checkpoints) {
    print(`  ${cp.status.padEnd(10)} checkpoint-${cp.id}: ${cp.title}${cp.commit ? `  ${cp.commit.slice(0, 10)}` : ''}${pushLine(cp.push)}`);
    for (const g of cp.taskGroups) print(`  ${''.padEnd(10)}   ${g.status.padEnd(10)} ${g.id} ${g.title}${g.attempts ? ` (${g.attempts} failed)` : ''}`);
  }
  if (v.waiting) {
    print('');
    print(`  WAITING FOR YOU (${v.waiting.reason}) since ${v.waiting.since}`);
    for (const line of v.waiting.message.split('\n').slice(0, 12)) print(`    ${line}`);
    if (v.waiting.reason === 'checkpoint-review') print(`  continue: nightshift resume ${v.label} (or feedback ${v.label} "..." first; skip ${v.label} --note "..." skips the next checkpoint)`);
    else print(`  decide: nightshift retry ${v.label} | override ${v.label} --note "..." | skip ${v.label} --note "..."`);
  }
  if (v.lastError && !v.waiting && v.status !== 'completed') print(`\n  last error: ${v.lastError.split('\n')[0]}`);
  if (v.lastOutput) print(`  agent:      ${v.lastOutput}`);
  if (v.devNotes.length) {
    print('\n  DevNotes:');
    for (const n of v.devNotes) print(`    (${n.category}) ${n.content}`);
  }
}

/** Whether the remote has a checkpoint's commit: `pushed to origin`, or `NOT pushed (why)`. */
function pushLine(push: BuildStatusView['checkpoints'][number]['push']): string {
  if (!push) return '';
  return push.pushed ? `  pushed to ${push.remote}` : `  NOT pushed to ${push.remote}${push.note ? ` (${push.note.split('\n')[0]?.slice(0, 120)})` : ''}`;
}

function printList(builds: BuildListing[]): void {
  if (builds.length === 0) {
    print('No builds yet. Start one with `nightshift start --plan plan.json --repo DIR`.');
    return;
  }
  print(`${'LABEL'.padEnd(28)} ${'STATUS'.padEnd(15)} ${'CHECKPOINT'.padEnd(10)} STARTED`);
  for (const b of builds) {
    print(`${b.label.padEnd(28)} ${b.status.padEnd(15)} ${(b.checkpoint ?? '-').padEnd(10)} ${b.startTime.replace('T', ' ').slice(0, 19)}`);
  }
}
