import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import { retryUpdate } from '../../src/workflows/build/messages';
import {
  NightshiftAgent,
  NightshiftCheckpoint,
  NightshiftCostUsd,
  NightshiftLabel,
  NightshiftStatus,
  NightshiftWaitReason,
} from '../../src/workflows/shared/searchAttributes';
import { scenarioBuild, untilStatus } from '../support/builds';
import { recordHistory } from '../support/histories';
import { makeRepo, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';

const { EventType } = temporal.api.enums.v1;

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

interface Marker {
  kind: 'activity' | 'timer' | 'local activity';
  name: string;
  summary: string | undefined;
}

/** Every activity and timer of the run's full history, with the summary the Web UI shows for it. */
async function markers(handle: WorkflowHandle): Promise<Marker[]> {
  const history = await handle.fetchHistory();
  const summaryOf = (e: temporal.api.history.v1.IHistoryEvent) =>
    e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary) : undefined;
  return (history.events ?? []).flatMap((e): Marker[] => {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      return [{ kind: 'activity', name: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', summary: summaryOf(e) }];
    }
    if (e.eventType === EventType.EVENT_TYPE_TIMER_STARTED) {
      const ms = Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0) * 1000;
      return [{ kind: 'timer', name: `timer (${ms} ms)`, summary: summaryOf(e) }];
    }
    // Local activities are markers on the timeline; patch markers (`patched()`) are not activities.
    if (e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      return [{ kind: 'local activity', name: 'local activity', summary: summaryOf(e) }];
    }
    return [];
  });
}

async function attributes(client: Client, workflowId: string) {
  const d = await client.workflow.getHandle(workflowId).describe();
  const sa = d.typedSearchAttributes;
  return {
    status: sa.get(NightshiftStatus),
    label: sa.get(NightshiftLabel),
    agent: sa.get(NightshiftAgent),
    checkpoint: sa.get(NightshiftCheckpoint),
    waitReason: sa.get(NightshiftWaitReason),
    cost: sa.get(NightshiftCostUsd),
  };
}

/** A list query as the README's saved views write it, answering with the one workflow it should find. */
function listed(query: string, workflowId: string): Promise<true> {
  return eventually(async () => {
    for await (const w of env.client.workflow.list({ query })) if (w.workflowId === workflowId) return true as const;
    return undefined;
  }, 30_000, `${workflowId} in the list for ${query}`);
}

describe('the Web UI run page', () => {
  it('names every activity and timer of a build that escalates, is retried and finishes, and keeps its search attributes current', async () => {
    const b = await scenarioBuild(env, {
      name: 'markers',
      checkpoints: 2,
      // Three failures escalate; after the person's retry one more fails (a retry wait), then it works.
      scenario: { rules: [{ when: { checkpoint: '1' }, times: 4, do: [{ stderr: 'compile error' }, { exit: 1 }] }] },
    });
    const events = await b.run(async (handle) => {
      await untilStatus(handle, (v) => v.status === 'awaiting-human', 'escalation');
      // The files people read follow without a local activity (the worker's file sink).
      const statusFile = join(b.home, 'builds', b.label, 'status.json');
      await eventually(() => (existsSync(statusFile) && JSON.parse(readFileSync(statusFile, 'utf8')).status === 'awaiting-human' ? true : undefined), 10_000, 'status.json saying awaiting-human');
      expect(await attributes(env.client, handle.workflowId)).toMatchObject({
        status: 'awaiting-human',
        label: b.label,
        agent: 'scripted',
        checkpoint: '1',
        waitReason: 'escalated',
        cost: 0,
      });
      await listed(`NightshiftStatus="awaiting-human" AND NightshiftAgent="scripted" AND NightshiftLabel="${b.label}"`, handle.workflowId);
      await listed(`NightshiftWaitReason="escalated" AND NightshiftLabel="${b.label}"`, handle.workflowId);
      await handle.executeUpdate(retryUpdate);
      await handle.result();
      const after = await attributes(env.client, handle.workflowId);
      expect(after).toMatchObject({ status: 'completed', agent: 'scripted', checkpoint: '2', cost: 0 });
      expect(after.waitReason).toBeUndefined();
      await listed(`NightshiftStatus="completed" AND NightshiftCostUsd >= 0 AND NightshiftLabel="${b.label}"`, handle.workflowId);
      // A build with lean history and files by sink (escalation, retry waits, verify-and-commit) for the
      // replay test; lean-escalation-retry.json is the same build from before files by sink.
      await recordHistory(handle, 'sink-escalation-retry');
      return markers(handle);
    });

    const unnamed = events.filter((m) => !m.summary);
    expect(unnamed).toEqual([]);
    const summaries = events.map((m) => m.summary as string);
    // Five sessions of checkpoint 1 (3 failed, retry, 1 failed, 1 done), one of checkpoint 2.
    expect(summaries.filter((s) => /^session \d+ · checkpoint 1 · task group 1\.1 · scripted$/.test(s))).toHaveLength(5);
    expect(summaries).toContain('session 6 · checkpoint 2 · task group 2.1 · scripted');
    // The stall timer starts again whenever the agent reports progress: one or more per session.
    for (const n of [1, 2, 3, 4, 5, 6]) expect(summaries).toContain(`stall timer 1m · session ${n}`);
    expect(summaries).toContain('retry wait 1s · attempt 2 of 3 · checkpoint 1, task group 1.1');
    expect(summaries).toContain('retry wait 1s · attempt 3 of 3 · checkpoint 1, task group 1.1');
    // After the person's retry, the count starts again.
    expect(summaries.filter((s) => s === 'retry wait 1s · attempt 2 of 3 · checkpoint 1, task group 1.1')).toHaveLength(2);
    expect(summaries).toContain(`prepare worktree nightshift/${b.label}`);
    // A passing verification and its commit are one activity (lean history).
    expect(summaries).toContain('verify checkpoint 1 (1 step), then commit checkpoint-1: Step 1');
    expect(summaries).toContain('verify checkpoint 2 (1 step), then commit checkpoint-2: Step 2');
    // No webhook on this worker: no webhook activity.
    expect(events.filter((m) => m.name === 'notifyWebhook')).toEqual([]);
    expect(summaries).toContain('notify: escalated');
    // The files people read are written by the worker's sink, not a local activity: the only record
    // in history is the last one, which carries the build's final notification.
    expect(summaries.filter((s) => s.startsWith('record progress'))).toEqual(['record progress: completed · notify: completed']);
    // Lean history: the worktree, six sessions, one verify-and-commit per checkpoint and the delivery; no webhook.
    const activities = events.filter((m) => m.kind === 'activity').map((m) => m.name);
    expect(activities.sort()).toEqual(['deliverBuild', 'prepareWorkspace', ...Array<string>(6).fill('runAgentSession'), 'verifyAndCommit', 'verifyAndCommit']);
    expect(events.filter((m) => m.kind === 'timer').length).toBeGreaterThan(8);
  });

  it('names every activity and timer of a loop, with its agent and cost as search attributes', async () => {
    const dir = tempDir('loop');
    const scenario = writeJson(join(dir, 'scenario.json'), {
      rules: [
        { when: { session: 1 }, do: [{ append: { path: 'notes.txt', content: 'routes\n' } }, { print: 'wrote the routes' }] },
        { when: { session: 2 }, times: 1, do: [{ stderr: 'boom' }, { exit: 1 }] },
        { when: { session: 2 }, do: [{ append: { path: 'notes.txt', content: 'tests\n' } }, { print: '<promise>DONE</promise>' }] },
      ],
    });
    const taskName = `markers-${process.pid}-${Date.now() % 100000}`;
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const request = parseLoopRequest({
      taskName,
      task: 'Build a tiny todo API',
      repo: makeRepo(),
      mode: 'lightweight',
      maxSessions: 4,
      agent: { kind: 'scripted', scenario },
      policy: { maxAttempts: 3, retryInterval: '1s', stallTimeout: '1m' },
    });
    const { result, events, attrs } = await worker.runUntil(async () => {
      const handle = await startLoop(env.client, request, { taskQueue });
      const result = await handle.result();
      return { result, events: await markers(handle), attrs: await attributes(env.client, handle.workflowId) };
    });
    expect(result.status).toBe('completed');
    expect(events.filter((m) => !m.summary)).toEqual([]);
    const summaries = events.map((m) => m.summary as string);
    expect(summaries).toContain(`session 1 · loop ${taskName} · scripted`);
    expect(summaries).toContain(`session 2 · loop ${taskName} · scripted · attempt 2`);
    expect(summaries).toContain('retry wait 1s · attempt 2 of 3 · session 2');
    expect(summaries).toContain('stall timer 1m · session 1');
    expect(summaries).toContain(`prepare loop ${taskName} (lightweight)`);
    expect(summaries).toContain('commit session 1: wrote the routes');
    expect(summaries).toContain('record progress of session 2');
    expect(summaries).toContain('notify: completed');
    expect(attrs).toMatchObject({ status: 'completed', label: taskName, agent: 'scripted', cost: 0 });
  });
});
