import { join } from 'node:path';
import { feedbackUpdate, overrideUpdate, resumeSignal, skipSignal, statusQuery } from '../../src/workflows/build/messages';
import type { BuildStatusView } from '../../src/workflows/build/state';
import { readHome, scenarioBuild, untilStatus } from '../support/builds';
import { branchSubjects, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv } from '../support/temporal';
import { nightshift } from '../support/cli';


let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});


const atGate = (after: string) => (v: BuildStatusView) => v.status === 'awaiting-human' && v.reason === 'checkpoint-review' && v.position.checkpoint === after;

describe('--gate checkpoint', () => {
  it('waits after each commit; feedback at the gate reaches the next session; resume (CLI and raw signal) continues; one commit per checkpoint', async () => {
    const repo = makeRepo();
    const dir = tempDir('gate');
    const plan = writeJson(join(dir, 'plan.json'), samplePlan(3));
    const scenario = writeJson(join(dir, 'scenario.json'), { rules: [] });
    const label = `gate-${process.pid}-${Date.now() % 100000}`;
    const taskQueue = env.taskQueue();
    const { worker, home } = await env.worker({ taskQueue });
    const cliEnv = { NIGHTSHIFT_TASK_QUEUE: taskQueue };
    await worker.runUntil(async () => {
      const started = await nightshift(['start', '--plan', plan, '--repo', repo, '--label', label, '--scenario', scenario, '--gate', 'checkpoint'], cliEnv);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      const handle = env.client.workflow.getHandle(`build-${label}`);

      const first = await untilStatus(handle, atGate('1'), 'the gate after checkpoint 1');
      expect(branchSubjects(repo, label)).toEqual(['checkpoint-1: Step 1']);
      expect(first.sessions).toBe(1);
      expect(first.checkpoints.map((c) => c.status)).toEqual(['completed', 'pending', 'pending']);
      expect(first.reports.map((r) => r.kind)).toEqual(['build_started', 'checkpoint_complete']);
      // The report is the notification, the progress file has it, and `status --report` prints it.
      const notifications = readHome(home, 'notifications.log');
      expect(notifications).toContain(`[checkpoint-complete] ${label}: build ${label}: checkpoint 1 committed`);
      expect(notifications).toContain('## Checkpoint 1 Complete ✅');
      expect(readHome(home, 'builds', label, 'progress.md')).toContain('### Checkpoint 1 Complete ✅');
      const report = await nightshift(['status', label, '--report'], cliEnv);
      expect(report.code).toBe(0);
      expect(report.stdout).toContain('## Checkpoint 1 Complete ✅');
      expect(report.stdout).toContain(`**Commit**: ${first.checkpoints[0]?.commit}`);
      expect(report.stdout).toContain('- Next: Checkpoint 2: Step 2 — Do step 2');
      expect(report.stdout).toContain(`Run \`nightshift resume ${label}\` to execute the next checkpoint.`);
      const status = await nightshift(['status', label], cliEnv);
      expect(status.stdout).toContain(`continue: nightshift resume ${label}`);

      // Still waiting a while later: nothing runs until the person says so.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await handle.query(statusQuery)).sessions).toBe(1);
      const afterFeedback = await handle.executeUpdate(feedbackUpdate, { args: [{ message: 'name things after the domain' }] });
      expect(afterFeedback.reason).toBe('checkpoint-review');

      const resumed = await nightshift(['resume', label], cliEnv);
      expect(resumed.code).toBe(0);
      const second = await untilStatus(handle, atGate('2'), 'the gate after checkpoint 2');
      expect(branchSubjects(repo, label)).toEqual(['checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
      expect(second.sessions).toBe(2);
      expect(readHome(home, 'builds', label, 'sessions', 'session-001.prompt.md')).not.toContain('name things after the domain');
      expect(readHome(home, 'builds', label, 'sessions', 'session-002.prompt.md')).toContain('- name things after the domain');

      // `temporal workflow signal --name resume` (no input) works the same.
      await handle.signal(resumeSignal);
      const result = await handle.result();
      expect(result.status).toBe('completed');
      const done = await handle.query(statusQuery);
      // No gate after the last checkpoint: the build completes.
      expect(done.reports.map((r) => r.kind)).toEqual([
        'build_started',
        'checkpoint_complete',
        'build_started',
        'checkpoint_complete',
        'build_started',
        'checkpoint_complete',
        'build_complete',
      ]);
      const all = await nightshift(['status', label, '--report', 'all'], cliEnv);
      expect(all.stdout.match(/^## Checkpoint \d Complete ✅$/gm)).toEqual(['## Checkpoint 1 Complete ✅', '## Checkpoint 2 Complete ✅', '## Checkpoint 3 Complete ✅']);
      expect(all.stdout).toContain('## Build Complete 🎉');
      expect(readHome(home, 'notifications.log')).toMatch(/\[completed\] .*## Build Complete 🎉/);
    });
    expect(branchSubjects(repo, label)).toEqual(['checkpoint-3: Step 3', 'checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  });

  it('override at the gate goes on with a DevNote; skip at the gate skips the next checkpoint', async () => {
    const b = await scenarioBuild(env, { name: 'gate-decide', checkpoints: 3, gate: 'checkpoint' });
    await b.run(async (handle) => {
      await untilStatus(handle, atGate('1'), 'the gate after checkpoint 1');
      const after = await handle.executeUpdate(overrideUpdate, { args: [{ note: 'reviewed, fine' }] });
      expect(after.reason).not.toBe('checkpoint-review');
      await untilStatus(handle, atGate('2'), 'the gate after checkpoint 2');
      await handle.signal(skipSignal, { note: 'checkpoint 3 is done by hand' });
      expect((await handle.result()).status).toBe('completed');
      const v = await handle.query(statusQuery);
      expect(v.checkpoints.map((c) => c.status)).toEqual(['completed', 'completed', 'skipped']);
      expect(v.devNotes.map((n) => `${n.category}: ${n.content}`)).toEqual([
        'decision: checkpoint 1 accepted at review: reviewed, fine',
        'deviation: skipped at review: checkpoint 3 is done by hand',
      ]);
      expect(v.sessions).toBe(2);
      expect(v.reports.at(-1)?.markdown).toContain('- Checkpoints completed: 2 (skipped: 3)');
    });
    expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  });

  it('a build without --gate runs on after each commit', async () => {
    const b = await scenarioBuild(env, { name: 'nogate', checkpoints: 2 });
    await b.run(async (handle) => {
      expect((await handle.result()).status).toBe('completed');
      const v = await handle.query(statusQuery);
      expect(v.reports.filter((r) => r.kind === 'checkpoint_complete').map((r) => r.markdown)).toEqual([
        expect.stringContaining('The build runs the next checkpoint on its own'),
        expect.stringContaining('Nothing left to run'),
      ]);
    });
    expect(branchSubjects(b.repo, b.label)).toHaveLength(2);
  });
});
