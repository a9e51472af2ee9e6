import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal as temporalProto } from '@temporalio/proto';
import {
  buildResult,
  ConflictError,
  feedback,
  getStatus,
  InvalidDocumentError,
  InvalidInputError,
  MAX_TEXT_CHARS,
  override,
  pause,
  resume,
  startBuild,
} from '../../src/api';
import { branchSubjects, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { temporal } from '../support/temporalCommand';
import { eventually, TestEnv } from '../support/temporal';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');

function nightshiftCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Builds started without `nightshift`: with the real `temporal` CLI from a request written by hand,
 * and through the package's exported client API. A malformed request fails the workflow at once.
 */
let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

let counter = 0;
const newLabel = (name: string) => `${name}-${process.pid}-${++counter}-${Date.now() % 100000}`;

/** The smallest request a person writes: label, repo and plan; the agent and policy get the CLI's defaults. */
function minimalRequest(label: string, repo: string) {
  return { label, repo, plan: samplePlan(2) };
}

async function startWithCli(taskQueue: string, workflowId: string, request: unknown) {
  const file = writeJson(join(tempDir('request'), 'request.json'), request);
  const started = await temporal([
    'workflow',
    'start',
    '--type',
    'buildWorkflow',
    '--task-queue',
    taskQueue,
    '--workflow-id',
    workflowId,
    '--input-file',
    file,
  ]);
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
}

/** Event types of a workflow's history, as names like `WorkflowTaskFailed`. */
async function eventTypes(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map(
    (e) => temporalProto.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType),
  );
}

describe('a build started with the temporal CLI', () => {
  it('runs from a minimal JSON request (label, repo, plan) to its commits', async () => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const repo = makeRepo();
    const label = newLabel('cli');
    const result = await worker.runUntil(async () => {
      await startWithCli(taskQueue, `build-${label}`, minimalRequest(label, repo));
      return env.client.workflow.getHandle(`build-${label}`).result();
    });
    expect(result).toMatchObject({ status: 'completed' });
    expect(branchSubjects(repo, label)).toEqual(['checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  });

  it.each([
    ['a missing plan', (label: string, repo: string) => ({ label, repo }), /invalid build request: plan: /],
    [
      'a bad label',
      (label: string, repo: string) => ({ ...minimalRequest(label, repo), label: 'Not A Label' }),
      /invalid build request: label: expected lowercase/,
    ],
    [
      'a policy duration without a unit it knows',
      (label: string, repo: string) => ({
        ...minimalRequest(label, repo),
        policy: { retryInterval: 'soon' },
      }),
      /policy\.retryInterval: expected a duration/,
    ],
    ['no input at all', () => undefined, /invalid build request: build request: .*expected object/],
  ])('fails at once, naming the field, on %s', async (_what, make, message) => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const label = newLabel('bad');
    const workflowId = `build-${label}`;
    const failure = await worker.runUntil(async () => {
      const request = make(label, makeRepo());
      if (request === undefined) {
        const started = await temporal([
          'workflow',
          'start',
          '--type',
          'buildWorkflow',
          '--task-queue',
          taskQueue,
          '--workflow-id',
          workflowId,
        ]);
        expect(started.code).toBe(0);
      } else {
        await startWithCli(taskQueue, workflowId, request);
      }
      return env.client.workflow
        .getHandle(workflowId)
        .result()
        .then(
          () => undefined,
          (err: unknown) => err,
        );
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({
      type: 'InvalidRequest',
      nonRetryable: true,
      message: expect.stringMatching(message),
    });
    // What `temporal workflow describe` shows (docs/scripting.md).
    const described = await temporal(['workflow', 'describe', '--workflow-id', workflowId]);
    expect(described.stdout).toMatch(message);
    // Failed as a workflow, on its first task: no workflow task failed and was retried.
    const events = await eventTypes(workflowId);
    expect(events.filter((t) => /WORKFLOW_TASK_FAILED/.test(t))).toEqual([]);
    expect(events.filter((t) => /WORKFLOW_TASK_STARTED/.test(t))).toHaveLength(1);
  });
});

describe('loops and queue entries from the temporal CLI', () => {
  it('runs a loop from a JSON request', async () => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const repo = makeRepo();
    const scenario = writeJson(join(tempDir('scenario'), 'scenario.json'), {
      rules: [],
      otherwise: [{ append: { path: 'notes.txt', content: 'done\n' } }, { print: '<promise>DONE</promise>' }],
    });
    const taskName = newLabel('cliloop');
    const file = writeJson(join(tempDir('request'), 'loop.json'), {
      taskName,
      task: 'Write the notes file',
      repo,
      mode: 'lightweight',
      maxSessions: 1,
      agent: { kind: 'scripted', scenario },
    });
    const result = await worker.runUntil(async () => {
      const started = await temporal([
        'workflow',
        'start',
        '--type',
        'loopWorkflow',
        '--task-queue',
        taskQueue,
        '--workflow-id',
        `loop-${taskName}`,
        '--input-file',
        file,
      ]);
      expect(started.code).toBe(0);
      return env.client.workflow.getHandle(`loop-${taskName}`).result();
    });
    expect(result).toMatchObject({ status: 'completed', sessions: 1 });
  });

  it('starts a queue and enqueues an entry that builds', async () => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const repo = makeRepo();
    const queue = newLabel('q');
    const label = newLabel('entry');
    const entry = writeJson(join(tempDir('entry'), 'entry.json'), {
      entry: {
        label,
        name: 'Summary script',
        description: 'Build a small Python script that reads a CSV file and writes a summary report',
        criteria: ['summary report written'],
        addedAt: new Date().toISOString(),
        repo,
        kind: 'plan',
        plan: samplePlan(1),
      },
    });
    await worker.runUntil(async () => {
      const started = await temporal([
        'workflow',
        'start',
        '--type',
        'queueWorkflow',
        '--task-queue',
        taskQueue,
        '--workflow-id',
        `queue-${queue}`,
        '--input',
        JSON.stringify({ name: queue }),
        '--id-conflict-policy',
        'UseExisting',
      ]);
      expect(started.code).toBe(0);
      const added = await temporal([
        'workflow',
        'update',
        'execute',
        '--workflow-id',
        `queue-${queue}`,
        '--name',
        'enqueue',
        '--input-file',
        entry,
      ]);
      expect(added.code).toBe(0);
      expect(added.stdout).toContain(`build-${label}`);
      expect(await env.client.workflow.getHandle(`build-${label}`).result()).toMatchObject({
        status: 'completed',
      });
      await env.client.workflow.getHandle(`queue-${queue}`).terminate('test done');
    });
    expect(branchSubjects(repo, label)).toEqual(['checkpoint-1: Step 1']);
  });
});

describe('the exported client API', () => {
  it('is what the package exports, with its types', async () => {
    const root = resolve(__dirname, '..', '..');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      bin: Record<string, string>;
    };
    expect(existsSync(join(root, pkg.types))).toBe(true);
    expect(existsSync(join(root, pkg.bin.nightshift as string))).toBe(true);
    const api = (await import(join(root, pkg.main))) as Record<string, unknown>;
    for (const name of [
      'startBuild',
      'enqueue',
      'getStatus',
      'pause',
      'resume',
      'override',
      'retry',
      'skip',
      'feedback',
      'cancel',
    ]) {
      expect(typeof api[name]).toBe('function');
    }
  });

  it('starts a build from a minimal request that completes, and reads its status', async () => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const repo = makeRepo();
    const label = newLabel('api');
    const { result, status } = await worker.runUntil(async () => {
      const started = await startBuild(minimalRequest(label, repo), { client: env.client, taskQueue });
      expect(started).toMatchObject({ label, workflowId: `build-${label}` });
      const result = await buildResult(label, { client: env.client });
      // Without a client the API connects as the CLI does (TEMPORAL_ADDRESS).
      const status = await getStatus(label);
      return { result, status };
    });
    expect(result).toMatchObject({ status: 'completed' });
    expect(status).toMatchObject({ label, status: 'completed', agent: 'scripted' });
    expect(status.checkpoints.map((c) => c.status)).toEqual(['completed', 'completed']);
    expect(branchSubjects(repo, label)).toHaveLength(2);
  });

  it('steers a build: payloads checked before sending (API and CLI), refusals with the reason', async () => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const repo = makeRepo();
    const label = newLabel('steer');
    const options = { client: env.client };
    const result = await worker.runUntil(async () => {
      await startBuild(minimalRequest(label, repo), { ...options, taskQueue });
      await pause(label, { reason: 'checking' }, options);
      await eventually(
        async () => ((await getStatus(label, options)).status === 'paused' ? true : undefined),
        60_000,
        'the pause',
      );
      const tooLong = 'x'.repeat(MAX_TEXT_CHARS + 1);
      await expect(override(label, tooLong, options)).rejects.toThrow(InvalidInputError);
      await expect(override(label, tooLong, options)).rejects.toThrow(/^override: note: note is too long/);
      await expect(override(label, 'fine', options)).rejects.toThrow(ConflictError);
      await expect(override(label, 'fine', options)).rejects.toThrow(
        /override refused: .*not waiting for a decision/,
      );
      expect(await feedback(label, 'use pnpm, not npm', options)).toMatchObject({ label, status: 'paused' });
      // The CLI verbs check the same schema before sending: exit code 2, the field named, no stack trace.
      const cli = await nightshiftCli(['override', label, '--note', tooLong]);
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(/override: note: note is too long/);
      expect(cli.stderr).not.toMatch(/\n\s+at /);
      await resume(label, options);
      return buildResult(label, options);
    });
    expect(result).toMatchObject({ status: 'completed' });
  });

  it('refuses a malformed request before anything starts, naming the field', async () => {
    await expect(
      startBuild({ label: 'Bad Label', repo: '/nowhere' } as never, {
        client: env.client,
        taskQueue: env.taskQueue(),
      }),
    ).rejects.toThrow(InvalidDocumentError);
    await expect(
      startBuild({ label: 'ok', repo: '/nowhere' } as never, { client: env.client }),
    ).rejects.toThrow(/plan: /);
  });
});
