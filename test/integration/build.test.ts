import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { buildStatus, parseBuildRequest, startBuild } from '../../src/client/builds';
import { statusQuery } from '../../src/workflows/build/messages';
import type { BuildStatusView } from '../../src/workflows/build/state';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { recordHistory } from '../support/histories';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

describe('a build of three checkpoints', () => {
  it('makes exactly one commit per checkpoint on the build branch and none on main', async () => {
    const repo = makeRepo();
    const mainBefore = gitIn(repo, 'rev-parse', 'main');
    const taskQueue = env.taskQueue();
    // No workflow cache: every workflow task replays the history from the start.
    const { worker, home } = await env.worker({ taskQueue, maxCachedWorkflows: 0 });
    const label = `three-${Date.now()}`;
    const scenario = writeJson(join(tempDir('scenario'), 'scenario.json'), {
      rules: [{ when: { checkpoint: '2' }, do: [{ tick: { every: 300, count: 10, text: 'thinking' } }, { print: 'DEVNOTE discovery: step 2 was bigger than planned' }, { edit: true }] }],
    });
    const request = parseBuildRequest({ label, repo, plan: samplePlan(3), agent: { kind: 'scripted', scenario }, policy: { stallTimeout: '4s' } });

    const seen: BuildStatusView[] = [];
    const result = await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const during = await eventually(async () => {
        const s = await handle.query(statusQuery);
        seen.push(s);
        return s.lastOutput?.startsWith('thinking') ? s : undefined;
      }, 60_000, 'progress from the agent of checkpoint 2');
      expect(during.position.checkpoint).toBe('2');
      expect(during.status).toBe('running');
      expect(during.checkpoints[0]?.status).toBe('completed');
      const r = await handle.result();
      await recordHistory(handle, 'happy-path');
      return { ...r, status: await buildStatus(env.client, label) };
    });

    expect(result.status.status).toBe('completed');
    const log = gitIn(repo, 'log', '--format=%s', `nightshift/${label}`).split('\n');
    expect(log).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1', 'initial']);
    expect(gitIn(repo, 'rev-parse', 'main')).toBe(mainBefore);
    expect(gitIn(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    // Each commit carries the trailers that make the commit activity idempotent.
    const body = gitIn(repo, 'log', '-1', '--format=%B', `nightshift/${label}`);
    expect(body).toContain(`Nightshift-Build: ${label}`);
    expect(body).toContain('Nightshift-Checkpoint: 3');
    // The agent's edits are in the commits, one file per checkpoint.
    expect(gitIn(repo, 'show', '--name-only', '--format=', `nightshift/${label}~1`)).toBe('work/checkpoint-2/group-2.1.md');

    const status = result.status;
    expect(status.status).toBe('completed');
    expect(status.checkpoints.map((c) => [c.id, c.status])).toEqual([['1', 'completed'], ['2', 'completed'], ['3', 'completed']]);
    expect(status.checkpoints.every((c) => /^[0-9a-f]{40}$/.test(c.commit ?? ''))).toBe(true);
    expect(status.devNotes).toEqual([expect.objectContaining({ category: 'discovery', content: 'step 2 was bigger than planned' })]);
    expect(status.percentComplete).toBe(100);

    // Files people read, and the transcripts, are on disk, not in history.
    const progress = readFileSync(join(home, 'builds', label, 'progress.md'), 'utf8');
    expect(progress).toContain('**Status:** completed');
    expect(progress).toContain('[x] Checkpoint 2: Step 2');
    const transcript = readFileSync(join(home, 'builds', label, 'sessions', 'session-002.log'), 'utf8');
    expect(transcript).toContain('thinking 10/10');
  });
});

describe('a build whose repo is not a git repository', () => {
  it('fails with a clear reason instead of retrying forever', async () => {
    const taskQueue = env.taskQueue();
    const { worker } = await env.worker({ taskQueue });
    const label = `norepo-${Date.now()}`;
    const request = parseBuildRequest({ label, repo: tempDir('not-a-repo'), plan: samplePlan(1) });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      await expect(handle.result()).rejects.toThrow(/Workflow execution failed/);
      const view = await buildStatus(env.client, label);
      expect(view.status).toBe('failed');
      expect(view.lastError).toMatch(/is not a git repository/);
    });
  });
});
