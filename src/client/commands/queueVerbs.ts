import { z } from 'zod';
import { approveUpdate, failUpdate, removeUpdate } from '../../workflows/queue/messages';
import type { QueueView } from '../../workflows/queue/state';
import { type Command, type OptionSpec, oneLabel, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';
import { queueVerb } from '../queue';

/**
 * The person's verbs on queue entries. Each sends the queue's update of the same name; a refusal
 * (unknown label, approving a build that already runs...) is printed with exit code 4.
 */
const QueueName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a queue name like "default"').default('default');
const Options = z.object({ queue: QueueName, reason: z.string().optional(), json: z.boolean().default(false) });

interface Verb {
  name: 'approve' | 'remove' | 'fail';
  summary: string;
  help: string;
  send(client: Parameters<typeof queueVerb>[0], queue: string, label: string, reason?: string): Promise<QueueView>;
  done(label: string, view: QueueView): string;
}

function placeOf(label: string, view: QueueView): string {
  if (view.active.some((a) => a.label === label)) return 'building now';
  const w = view.waiting.find((e) => e.label === label);
  return w ? `position ${w.position}${w.reasons[0] ? ` (waiting: ${w.reasons[0].message})` : ''}` : 'not in the queue';
}

const verbs: Verb[] = [
  {
    name: 'approve',
    summary: 'Approve a queue entry: lets a low-priority or risky entry start, and retries one that needs attention.',
    help: 'Approval does not resolve blockers: an entry with open blockers keeps waiting.',
    send: (c, q, label) => queueVerb(c, q, approveUpdate, { label }),
    done: (label, view) => `approve: ${label} is ${placeOf(label, view)}`,
  },
  {
    name: 'remove',
    summary: 'Remove a waiting entry from the queue (a running build is cancelled with `nightshift cancel`).',
    help: '',
    send: (c, q, label) => queueVerb(c, q, removeUpdate, { label }),
    done: (label) => `remove: ${label} is no longer queued`,
  },
  {
    name: 'fail',
    summary: 'Mark a running build failed: it is cancelled and queued again for a retry (after 3 retries it needs attention).',
    help: '  --reason TEXT   why (shown in the queue and notifications)',
    send: (c, q, label, reason) => queueVerb(c, q, failUpdate, { label, ...(reason ? { reason } : {}) }),
    done: (label, view) => `fail: ${label} is ${placeOf(label, view)}`,
  },
];

function toCommand(verb: Verb): Command {
  return {
    name: verb.name,
    summary: verb.summary,
    usage: `nightshift ${verb.name} LABEL [--queue NAME]${verb.name === 'fail' ? ' [--reason TEXT]' : ''} [--json]`,
    help: `Options:\n${verb.help ? `${verb.help}\n` : ''}  --queue NAME    the queue (default: default)\n  --json          print the queue after the change\n\nThe same message as a signal: temporal workflow signal --workflow-id queue-default --name ${verb.name} --input '{"label":"LABEL"}'`,
    async run(argv) {
      const spec: OptionSpec = { queue: { type: 'string' }, json: { type: 'boolean' }, ...(verb.name === 'fail' ? { reason: { type: 'string' as const } } : {}) };
      const { options, positionals } = parseOptions(verb.name, argv, spec, Options);
      const label = oneLabel(verb.name, positionals);
      return withClient(async ({ client }) => {
        const view = await verb.send(client, options.queue, label, options.reason);
        if (options.json) printJson(view);
        else print(verb.done(label, view));
        return 0;
      });
    },
  };
}

export const queueVerbCommands: Command[] = verbs.map(toCommand);
