import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { InvalidInputError } from '../../model/errors';
import type { BuildStatusView } from '../../workflows/build/state';
import { type Command, type OptionSpec, oneLabel, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';
import { cancelBuild, steerBuild } from '../steer';

/**
 * The person's steering verbs. Each sends the update of the same name; its validator refuses what
 * the build cannot honour (override when nothing waits, resume when not paused), and the refusal is
 * printed with exit code 4 instead of being silently dropped. Payloads are checked with the schema
 * the build's handler uses (src/model/payloads.ts) before anything is sent.
 */
interface Verb {
  name: string;
  summary: string;
  usage: string;
  help: string;
  spec: OptionSpec;
  schema: z.ZodType;
  send(client: Client, label: string, o: Record<string, unknown>, rest: string[]): Promise<BuildStatusView>;
}

const json = { json: { type: 'boolean' } } as const;
const note = { note: { type: 'string' }, ...json } as const;
const Json = z.object({ json: z.boolean().default(false) });
const Note = z.object({ note: z.string({ message: 'a note saying why is required' }).trim().min(1, 'a note saying why is required'), json: z.boolean().default(false) });

const verbs: Verb[] = [
  {
    name: 'pause',
    summary: 'Pause a build at the next task boundary (or now, cancelling the running session).',
    usage: 'nightshift pause LABEL [--now] [--reason TEXT] [--json]',
    help: `  --now           cancel the running session now (its process group is killed; its work stays
                  uncommitted in the worktree) and run that task group again on resume
  --reason TEXT   shown in status and notifications`,
    spec: { now: { type: 'boolean' }, reason: { type: 'string' }, ...json },
    schema: z.object({ now: z.boolean().default(false), reason: z.string().optional(), json: z.boolean().default(false) }),
    send: (c, label, o) => steerBuild(c, label, 'pause', { now: o.now as boolean, ...(o.reason ? { reason: o.reason as string } : {}) }),
  },
  {
    name: 'resume',
    summary: 'Resume a paused build exactly where it stopped.',
    usage: 'nightshift resume LABEL [--json]',
    help: '',
    spec: json,
    schema: Json,
    send: (c, label) => steerBuild(c, label, 'resume'),
  },
  {
    name: 'retry',
    summary: 'Run the failed step again now: with a fresh attempt count when the build awaits a decision.',
    usage: 'nightshift retry LABEL [--json]',
    help: '  Awaiting a decision: runs the step again with a fresh attempt count. Waiting out the retry interval\n  or a rate limit: ends the wait now. Refused otherwise.',
    spec: json,
    schema: Json,
    send: (c, label) => steerBuild(c, label, 'retry'),
  },
  {
    name: 'override',
    summary: 'Accept a failed verification or escalated step as passed; the note becomes a DevNote (decision).',
    usage: 'nightshift override LABEL --note TEXT [--json]',
    help: '  --note TEXT     why the step is accepted (required)',
    spec: note,
    schema: Note,
    send: (c, label, o) => steerBuild(c, label, 'override', { note: o.note as string }),
  },
  {
    name: 'skip',
    summary: 'Skip the current task group (or the checkpoint whose verification failed); the note becomes a DevNote (deviation).',
    usage: 'nightshift skip LABEL --note TEXT [--json]',
    help: '  --note TEXT     why it is skipped (required). A skipped checkpoint is not committed; its work is kept in a git stash.',
    spec: note,
    schema: Note,
    send: (c, label, o) => steerBuild(c, label, 'skip', { note: o.note as string }),
  },
  {
    name: 'feedback',
    summary: "Add text to the next agent session's prompt.",
    usage: 'nightshift feedback LABEL "MESSAGE" [--json]',
    help: '',
    spec: json,
    schema: Json,
    send: (c, label, _o, rest) => {
      const message = rest.join(' ').trim();
      if (!message) throw new InvalidInputError('a feedback MESSAGE is required', undefined, 'Usage: nightshift feedback LABEL "MESSAGE"');
      return steerBuild(c, label, 'feedback', { message });
    },
  },
];

function toCommand(verb: Verb): Command {
  return {
    name: verb.name,
    summary: verb.summary,
    usage: verb.usage,
    help: `${verb.help ? `Options:\n${verb.help}\n` : ''}  --json          print the build's status after the change\n\nThe same message as a signal: temporal workflow signal --workflow-id build-LABEL --name ${verb.name}`,
    async run(argv) {
      const { options, positionals } = parseOptions(verb.name, argv, verb.spec, verb.schema);
      const [label, ...rest] = positionals;
      const o = options as Record<string, unknown>;
      oneLabel(verb.name, label ? [label] : []);
      if (rest.length > 0 && verb.name !== 'feedback') throw new InvalidInputError(`unexpected arguments: ${rest.join(' ')}`);
      return withClient(async ({ client }) => {
        const view = await verb.send(client, label as string, o, rest);
        if (o.json) printJson(view);
        else print(`${verb.name}: build ${view.label} is ${view.status}${view.pauseRequested && view.status !== 'paused' ? ' (pause requested)' : ''}`);
        return 0;
      });
    },
  };
}

export const controlCommands: Command[] = verbs.map(toCommand);

export const cancel: Command = {
  name: 'cancel',
  summary: 'Cancel a build: the running agent is killed and the build finishes as cancelled.',
  usage: 'nightshift cancel LABEL [--json]',
  help: 'Committed checkpoints stay on the branch; uncommitted work stays in the worktree.',
  async run(argv) {
    const { options, positionals } = parseOptions('cancel', argv, json, Json);
    const label = oneLabel('cancel', positionals);
    return withClient(async ({ client }) => {
      await cancelBuild(client, label);
      if (options.json) printJson({ label, cancelRequested: true });
      else print(`cancel: requested for build ${label}`);
      return 0;
    });
  },
};
