import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { taskQueue } from '../config/connection';
import { ConflictError, NotFoundError } from '../model/errors';
import { type BuildRequest, type BuildRequestInput, BuildRequestSchema } from '../model/request';
import { describeIssues } from '../model/zodIssues';
import { InvalidDocumentError } from '../model/errors';
import { buildWorkflow } from '../workflows/build/build';
import { statusQuery } from '../workflows/build/messages';
import {
  NightshiftAgent,
  NightshiftCheckpoint,
  NightshiftCostUsd,
  NightshiftHost,
  NightshiftLabel,
  NightshiftPriority,
  NightshiftStatus,
  NightshiftWaitReason,
} from '../workflows/shared/searchAttributes';
import type { BuildStatusView } from '../workflows/build/state';

export function buildWorkflowId(label: string): string {
  return `build-${label}`;
}

export function parseBuildRequest(input: BuildRequestInput, source = 'build request'): BuildRequest {
  const parsed = BuildRequestSchema.safeParse(input);
  if (!parsed.success) throw new InvalidDocumentError(source, describeIssues(parsed.error));
  return parsed.data;
}

/** Starts `build-<label>`; one runner per label, so a running build with that label is a conflict. */
export async function startBuild(
  client: Client,
  request: BuildRequest,
  options: { taskQueue?: string } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof buildWorkflow>> {
  const workflowId = buildWorkflowId(request.label);
  try {
    return await client.workflow.start(buildWorkflow, {
      taskQueue: options.taskQueue ?? taskQueue(),
      workflowId,
      args: [request],
      staticSummary: `${request.plan.title} (${request.plan.checkpoints.length} checkpoints)`,
      staticDetails: `repo: ${request.repo}\nbranch: nightshift/${request.label}\nagent: ${request.agent.kind}`,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: NightshiftLabel, value: request.label },
        { key: NightshiftStatus, value: 'running' },
        { key: NightshiftPriority, value: request.priority ?? 'high' },
      ]),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new ConflictError(
        `a build labelled "${request.label}" is already running (${workflowId})`,
        `Watch it with \`nightshift status ${request.label}\`, or pick another --label.`,
      );
    }
    throw err;
  }
}

export async function buildStatus(client: Client, label: string): Promise<BuildStatusView> {
  try {
    return await client.workflow.getHandle(buildWorkflowId(label)).query(statusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /not found/i.test((err as Error).message)) {
      throw new NotFoundError(`no build labelled "${label}"`, 'List builds with `nightshift status`.');
    }
    throw err;
  }
}

export interface BuildListing {
  label: string;
  workflowId: string;
  runId: string;
  status: string;
  checkpoint: string | null;
  startTime: string;
  closeTime: string | null;
  /** From the search attributes (absent on builds started before they existed). */
  agent?: string;
  waitReason?: string;
  costUsd?: number;
  host?: string;
}

/** All builds from Temporal's visibility store: no worker needed, newest first. */
export async function listBuilds(client: Client, limit = 100): Promise<BuildListing[]> {
  const out: BuildListing[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'buildWorkflow'` })) {
    const attrs = wf.typedSearchAttributes;
    const temporalStatus = wf.status.name;
    const status = attrs.get(NightshiftStatus) ?? temporalStatus.toLowerCase();
    out.push({
      label: attrs.get(NightshiftLabel) ?? wf.workflowId.replace(/^build-/, ''),
      workflowId: wf.workflowId,
      runId: wf.runId,
      // A build whose workflow was terminated never wrote its last status: trust Temporal's.
      status: temporalStatus === 'RUNNING' || temporalStatus === 'COMPLETED' ? status : temporalStatus.toLowerCase().replace('timed_out', 'timed-out'),
      checkpoint: attrs.get(NightshiftCheckpoint) ?? null,
      startTime: wf.startTime.toISOString(),
      closeTime: wf.closeTime?.toISOString() ?? null,
      ...optional('agent', attrs.get(NightshiftAgent)),
      ...optional('waitReason', attrs.get(NightshiftWaitReason)),
      ...optional('costUsd', attrs.get(NightshiftCostUsd)),
      ...optional('host', attrs.get(NightshiftHost)),
    });
    if (out.length >= limit) break;
  }
  return out;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
