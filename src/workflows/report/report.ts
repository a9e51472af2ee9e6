import { proxyActivities } from '@temporalio/workflow';
import { named } from '../shared/markers';
import type { createActivities } from '../../activities';
import type { ReportResult } from '../../activities/files/report';
import { z } from 'zod';
import { TimeZoneSchema, wallClock } from '../../model/offHours';
import { parseInput } from '../shared/inputs';
import { dispatched } from '../shared/dispatch';

type Activities = ReturnType<typeof createActivities>;

export const ReportRequestSchema = z
  .object({
    /** YYYY-MM-DD; today in `timeZone` when absent (what the nightly schedule wants). */
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2026-12-31').optional(),
    timeZone: TimeZoneSchema.optional(),
  })
  .default({});
export type ReportRequest = z.input<typeof ReportRequestSchema>;

const reports = proxyActivities<Activities>(dispatched({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3, initialInterval: '5s' },
}));

/**
 * Seed 002's nightly build report: started by the `nightshift-nightly-report` Schedule (or by
 * `nightshift report`), it writes `build-reports/YYYY-MM-DD.md` from what Temporal knows.
 */
export async function reportWorkflow(input?: ReportRequest): Promise<ReportResult> {
  const request = parseInput('report request', ReportRequestSchema, input);
  const timeZone = request.timeZone ?? 'UTC';
  const date = request.date ?? localDate(new Date(), timeZone);
  return named(reports.writeBuildReport, `write build-reports/${date}.md`, { date, timeZone });
}

export function localDate(at: Date, timeZone: string): string {
  const w = wallClock(at, timeZone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}
