import { z } from 'zod';
import { InvalidInputError } from '../../model/errors';
import { OffHoursTextSchema, TimeZoneSchema } from '../../model/offHours';
import { parseDuration } from '../../model/duration';
import type { QueuePolicyInput } from '../../workflows/queue/state';
import { type Command, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';
import { queueView, setQueuePolicy } from '../queue';
import { printSections, sectionsJson } from '../queueViews';

const Options = z.object({
  queue: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a queue name like "default"').default('default'),
  concurrency: z.string().regex(/^[1-9]\d*$/, 'expected a whole number of builds, at least 1').optional(),
  'off-hours': OffHoursTextSchema.optional(),
  tz: TimeZoneSchema.optional(),
  retries: z.string().regex(/^\d+$/, 'expected a whole number of retries').optional(),
  'retry-interval': z.string().refine((v) => parseDuration(v) !== undefined, 'expected a duration like 30s, 5m or 4h').optional(),
  json: z.boolean().default(false),
});

const spec = {
  queue: { type: 'string' },
  concurrency: { type: 'string' },
  'off-hours': { type: 'string' },
  tz: { type: 'string' },
  retries: { type: 'string' },
  'retry-interval': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const queue: Command = {
  name: 'queue',
  summary: "Show a build queue, or change its policy (concurrency, off-hours window, time zone, retries).",
  usage: 'nightshift queue [show] [--queue NAME] [--json]\n       nightshift queue policy [--concurrency N] [--off-hours 22:00-06:00] [--tz ZONE] [--retries N] [--retry-interval D] [--queue NAME] [--json]',
  help: `
Subcommands:
  show (default)          building now, the queue with positions and why each entry waits, recent completions
  policy                  change the policy; the queue re-evaluates at once (a build may start right away)

Options:
  --concurrency N         builds at once (default 1)
  --off-hours HH:MM-HH:MM when medium-priority entries may start (default 22:00-06:00)
  --tz ZONE               the window's time zone, e.g. America/Chicago
  --retries N             automatic retries of a failed build before it needs attention (default 3)
  --retry-interval D      wait before each retry (default 5m)
  --queue NAME            the queue (default: default)
  --json                  machine-readable (the queue query's view)`,
  async run(argv) {
    const { options: o, positionals } = parseOptions('queue', argv, spec, Options);
    const [sub = 'show', ...rest] = positionals;
    if (rest.length > 0 || (sub !== 'show' && sub !== 'policy')) {
      throw new InvalidInputError(`unexpected arguments: ${positionals.join(' ')}`, undefined, 'Usage: nightshift queue [show|policy] [options]');
    }
    return withClient(async ({ client, namespace }) => {
      if (sub === 'show') {
        const view = await queueView(client, o.queue);
        if (o.json) printJson(await sectionsJson(client, namespace, view, ['active', 'queue', 'completed']));
        else await printSections(client, namespace, view, ['active', 'queue', 'completed']);
        return 0;
      }
      const patch: QueuePolicyInput = {
        ...(o.concurrency ? { concurrency: Number(o.concurrency) } : {}),
        ...(o['off-hours'] ? { offHours: o['off-hours'] } : {}),
        ...(o.tz ? { timeZone: o.tz } : {}),
        ...(o.retries !== undefined ? { maxRetries: Number(o.retries) } : {}),
        ...(o['retry-interval'] ? { retryInterval: o['retry-interval'] } : {}),
      };
      const view = await setQueuePolicy(client, patch, { queue: o.queue });
      if (o.json) printJson(view.policy);
      else {
        const p = view.policy;
        print(`queue ${view.name}: at most ${p.concurrency} at once · medium only ${p.offHours} ${p.timeZone} · ${p.maxRetries} retries, ${p.retryInterval / 1000}s apart`);
      }
      return 0;
    });
  },
};
