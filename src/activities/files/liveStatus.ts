import type { Client } from '@temporalio/client';

/** What a running build or loop says about itself right now, read from its `status` query. */
export interface LiveStatus {
  status: string | null;
  percent: number | null;
  costUsd: number | null;
  /** Where it is: checkpoint/task group, or session number. */
  detail: string | null;
  lastOutput: string | null;
  commits: string[];
  /** Builds that push: whether the remote has each commit (by commit); absent for loops and older builds. */
  pushes?: Record<string, { remote: string; pushed: boolean }>;
  /** The plan's title (builds) or the task (loops). */
  title: string | null;
}

const UNKNOWN: LiveStatus = { status: null, percent: null, costUsd: null, detail: null, lastOutput: null, commits: [], title: null };

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Reads a build's (`buildWorkflow`) or loop's (`loopWorkflow`) status view without depending on
 * either type: both answer the `status` query, with different shapes. Unknown fields stay null.
 */
export function liveFromView(view: unknown): LiveStatus {
  const v = (view ?? {}) as Record<string, unknown>;
  const position = v.position as { checkpoint?: string | null; taskGroup?: string | null } | undefined;
  const boxes = v.checkboxes as { done?: number; total?: number } | null | undefined;
  const checkpoints = Array.isArray(v.checkpoints) ? (v.checkpoints as { commit?: string | null; push?: { remote?: unknown; pushed?: unknown; commit?: unknown } | null }[]) : [];
  const pushes: Record<string, { remote: string; pushed: boolean }> = {};
  for (const c of checkpoints) {
    if (c.push && typeof c.push.commit === 'string' && typeof c.push.remote === 'string') pushes[c.push.commit] = { remote: c.push.remote, pushed: c.push.pushed === true };
  }
  const percent =
    num(v.percentComplete) ??
    (boxes && num(boxes.total) && num(boxes.done) !== null ? Math.round(((boxes.done as number) / (boxes.total as number)) * 100) : null);
  const detail = position?.checkpoint
    ? `checkpoint ${position.checkpoint}${position.taskGroup ? `, task group ${position.taskGroup}` : ''}`
    : num(v.sessions) !== null
      ? `session ${v.sessions as number}`
      : null;
  // A parked build says what it waits for: "waiting for the claude limit to reset at 03:10 UTC".
  const waiting = v.waiting as { message?: unknown } | null | undefined;
  const parkedFor = v.status === 'rate-limited' && typeof waiting?.message === 'string' ? waiting.message : null;
  return {
    status: typeof v.status === 'string' ? v.status : null,
    percent,
    // Builds report what their agents spent as `spentUsd`, loops as `costUsd`.
    costUsd: num(v.costUsd) ?? num(v.spentUsd),
    detail: parkedFor ? [detail, parkedFor].filter(Boolean).join(' · ') : detail,
    lastOutput: typeof v.lastOutput === 'string' ? v.lastOutput : null,
    commits: checkpoints.length
      ? checkpoints.map((c) => c.commit).filter((c): c is string => typeof c === 'string')
      : typeof v.lastCommit === 'string'
        ? [v.lastCommit]
        : [],
    ...(Object.keys(pushes).length ? { pushes } : {}),
    title: typeof v.planTitle === 'string' ? v.planTitle : typeof v.task === 'string' ? (v.task.split('\n')[0] ?? null) : typeof v.taskName === 'string' ? v.taskName : null,
  };
}

/** A workflow's `status` query, rejected after `timeoutMs` (a workflow whose worker is gone never answers). */
export async function queryStatusWithin<T>(client: Client, workflowId: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.workflow.getHandle(workflowId).query<T>('status'),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('query timed out')), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Queries `status`, giving up after `timeoutMs`: UNKNOWN when it does not answer. */
export async function liveStatus(client: Client, workflowId: string, timeoutMs = 3000): Promise<LiveStatus> {
  try {
    return liveFromView(await queryStatusWithin<unknown>(client, workflowId, timeoutMs));
  } catch {
    return UNKNOWN;
  }
}
