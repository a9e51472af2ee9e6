import { type QueueFilesInput, writeQueueFiles } from './files/queueFiles';
import { type ReportInput, writeBuildReport } from './files/report';
import type { NotifyInput } from './types';
import { watchBuild } from './files/watchBuild';
import { notifyWebhook } from './notify/webhook';

/** The queue's, the report's and the webhook's activities; spread into `createActivities`. */
export function createQueueActivities(deps: { home: string }) {
  return {
    writeQueueFiles: (input: QueueFilesInput) => writeQueueFiles(deps.home, input),
    writeBuildReport: (input: ReportInput) => writeBuildReport(deps.home, input),
    watchBuild,
    notifyWebhook: (input: NotifyInput) => notifyWebhook(input),
  };
}
