import { ScheduleAlreadyRunning } from '@temporalio/client';
import { z } from 'zod';
import { taskQueue } from '../../config/connection';
import { InvalidInputError } from '../../model/errors';
import { TimeZoneSchema } from '../../model/offHours';
import { reportWorkflow } from '../../workflows/report/report';
import { type Command, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';

export const REPORT_SCHEDULE_ID = 'nightshift-nightly-report';

const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const Options = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2026-02-06').optional(),
  at: z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'expected a time like 23:00').default('23:00'),
  tz: TimeZoneSchema.optional(),
  json: z.boolean().default(false),
});

const spec = { date: { type: 'string' }, at: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' } } as const;

export const report: Command = {
  name: 'report',
  summary: 'Write the build report (build-reports/YYYY-MM-DD.md) now, or schedule it nightly.',
  usage: 'nightshift report [--date YYYY-MM-DD] [--tz ZONE] [--json]\n       nightshift report schedule [--at 23:00] [--tz ZONE] [--json]',
  help: `
The report lists builds completed that day (duration, commits, cost where the agent reports it), builds
running now with their progress, the queue, and totals. A worker writes it under its NIGHTSHIFT_HOME.

Options:
  --date YYYY-MM-DD   the day to report (default: today in --tz)
  --tz ZONE           the report's time zone (default: this machine's, ${localZone()})
  --at HH:MM          with schedule: when to run each night (default 23:00)
  --json              machine-readable answer

\`report schedule\` creates (or updates) the Temporal Schedule ${REPORT_SCHEDULE_ID}; see it in the Web UI
under Schedules, or with \`temporal schedule describe --schedule-id ${REPORT_SCHEDULE_ID}\`.`,
  async run(argv) {
    const { options: o, positionals } = parseOptions('report', argv, spec, Options);
    const [sub, ...rest] = positionals;
    if (rest.length > 0 || (sub !== undefined && sub !== 'schedule')) {
      throw new InvalidInputError(`unexpected arguments: ${positionals.join(' ')}`, undefined, 'Usage: nightshift report [schedule] [options]');
    }
    const timeZone = o.tz ?? localZone();
    return withClient(async ({ client }) => {
      if (sub === 'schedule') {
        const [hour, minute] = o.at.split(':').map(Number) as [number, number];
        const options = {
          spec: { calendars: [{ hour, minute }], timezone: timeZone },
          action: { type: 'startWorkflow' as const, workflowType: reportWorkflow, args: [{ timeZone }] as [{ timeZone: string }], taskQueue: taskQueue(), workflowId: 'nightshift-report' },
        };
        let created = true;
        try {
          await client.schedule.create({ scheduleId: REPORT_SCHEDULE_ID, ...options });
        } catch (err) {
          if (!(err instanceof ScheduleAlreadyRunning)) throw err;
          created = false;
          await client.schedule.getHandle(REPORT_SCHEDULE_ID).update((prev) => ({ ...prev, ...options }));
        }
        if (o.json) printJson({ scheduleId: REPORT_SCHEDULE_ID, at: o.at, timeZone, created });
        else print(`${created ? 'Created' : 'Updated'} schedule ${REPORT_SCHEDULE_ID}: the build report runs every day at ${o.at} ${timeZone}`);
        return 0;
      }
      const result = await client.workflow.execute(reportWorkflow, {
        taskQueue: taskQueue(),
        workflowId: `nightshift-report-${o.date ?? 'today'}-${Date.now()}`,
        args: [{ ...(o.date ? { date: o.date } : {}), timeZone }],
        // Without a worker nothing would ever write it: fail instead of waiting forever.
        workflowExecutionTimeout: '5 minutes',
      });
      if (o.json) printJson(result);
      else print(result.path);
      return 0;
    });
  },
};
