import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ReportResult } from '../activities/report';
import { wallClock } from '../model/offHours';

type Activities = ReturnType<typeof createActivities>;

export interface ReportRequest {
  /** YYYY-MM-DD; today in `timeZone` when absent (what the nightly schedule wants). */
  date?: string;
  timeZone?: string;
}

const reports = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3, initialInterval: '5s' },
});

/**
 * Seed 002's nightly build report: started by the `nightshift-nightly-report` Schedule (or by
 * `nightshift report`), it writes `build-reports/YYYY-MM-DD.md` from what Temporal knows.
 */
export async function reportWorkflow(request: ReportRequest = {}): Promise<ReportResult> {
  const timeZone = request.timeZone ?? 'UTC';
  return reports.writeBuildReport({ date: request.date ?? localDate(new Date(), timeZone), timeZone });
}

export function localDate(at: Date, timeZone: string): string {
  const w = wallClock(at, timeZone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}
