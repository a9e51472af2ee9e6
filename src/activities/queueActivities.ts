import { type QueueFilesInput, writeQueueFiles } from './queueFiles';
import { type ReportInput, writeBuildReport } from './report';
import type { NotifyInput } from './types';
import { watchBuild } from './watchBuild';
import { notifyWebhook } from './webhook';

/** The queue's, the report's and the webhook's activities; spread into `createActivities`. */
export function createQueueActivities(deps: { home: string }) {
  return {
    writeQueueFiles: (input: QueueFilesInput) => writeQueueFiles(deps.home, input),
    writeBuildReport: (input: ReportInput) => writeBuildReport(deps.home, input),
    watchBuild,
    notifyWebhook: (input: NotifyInput) => notifyWebhook(input),
  };
}
