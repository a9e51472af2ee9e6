import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { processAlive } from '../../src/activities/session/process';
import {
  feedbackSignal,
  overrideUpdate,
  pauseSignal,
  pauseUpdate,
  resumeUpdate,
  retryUpdate,
  skipUpdate,
  statusQuery,
} from '../../src/workflows/build/messages';
import { readHome, scenarioBuild, untilStatus } from '../support/builds';
import { branchSubjects, gitIn, hasContent, tempDir } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';
import { recordHistory } from '../support/histories';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

const subjects = branchSubjects;

describe('failure handling', () => {
  it('retries a failing session, escalates after 3 attempts, and a retry starts a fresh count', async () => {
    const b = await scenarioBuild(env, {
      name: 'escalate',
      scenario: { rules: [{ when: { checkpoint: '1' }, times: 4, do: [{ stderr: 'compile error: missing semicolon' }, { exit: 1 }] }] },
    });
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'escalation');
      expect(waiting.reason).toBe('escalated');
      expect(waiting.checkpoints[0]?.taskGroups[0]?.attempts).toBe(3);
      expect(waiting.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed']);
      expect(waiting.lastError).toContain('compile error: missing semicolon');
      expect(waiting.waiting?.message).toContain('failed 3 times');
      expect(readHome(b.home, 'notifications.log')).toMatch(/\[escalated\] .*missing semicolon/);
      expect(readHome(b.home, 'builds', b.label, 'progress.md')).toContain('Waiting for a person (escalated)');

      // Attempt 4 fails again (the scenario fails 4 times), attempt 5 succeeds: a fresh count of 3.
      const after = await handle.executeUpdate(retryUpdate);
      expect(after.status).toBe('running');
      await handle.result();
      await recordHistory(handle, 'escalation-retry');
    });
    expect(subjects(b.repo, b.label)).toEqual(['checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  });

  it('override accepts an escalated step with a DevNote and commits; override is refused when nothing waits', async () => {
    const b = await scenarioBuild(env, {
      name: 'override',
      policy: { maxAttempts: 1 },
      scenario: { rules: [{ when: { checkpoint: '1' }, do: [{ tick: { every: 200, count: 5 } }, { edit: true }, { exit: 3 }] }] },
    });
    await b.run(async (handle) => {
      await untilStatus(handle, (v) => v.sessions === 1 && v.status === 'running', 'the first session');
      await expect(handle.executeUpdate(overrideUpdate, { args: [{ note: 'too early' }] })).rejects.toThrow(WorkflowUpdateFailedError);
      await expect(handle.executeUpdate(overrideUpdate, { args: [{ note: 'too early' }] })).rejects.toMatchObject({
        cause: expect.objectContaining({ message: expect.stringMatching(/not waiting for a decision/) }),
      });
      await untilStatus(handle, (v) => v.status === 'awaiting-human', 'escalation');
      await handle.executeUpdate(overrideUpdate, { args: [{ note: 'the agent did it by hand' }] });
      const result = await handle.result();
      expect(result.status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.devNotes).toContainEqual(expect.objectContaining({ category: 'decision', content: 'the agent did it by hand' }));
      expect(view.checkpoints[0]?.taskGroups[0]?.status).toBe('overridden');
      await recordHistory(handle, 'override');
    });
    expect(subjects(b.repo, b.label)).toHaveLength(2);
  });
});

describe('verification', () => {
  it('feeds failing output back to the agent, which fixes it in another session', async () => {
    const b = await scenarioBuild(env, {
      name: 'verify-fix',
      checkpoints: 1,
      verify: ['test -f fixed.txt || { echo "fixed.txt is missing"; exit 1; }'],
      scenario: { rules: [{ when: { session: 1 }, do: [{ edit: true }] }], otherwise: [{ write: { path: 'fixed.txt', content: 'ok' } }, { edit: true }] },
    });
    await b.run(async (handle) => {
      expect((await handle.result()).status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.attempts).toEqual([expect.objectContaining({ outcome: 'verification-failed', error: expect.stringContaining('fixed.txt is missing') })]);
    });
    const prompt = readHome(b.home, 'builds', b.label, 'sessions', 'session-002.prompt.md');
    expect(prompt).toContain('Verification failed; fix this');
    expect(prompt).toContain('fixed.txt is missing');
    expect(subjects(b.repo, b.label)).toEqual(['checkpoint-1: Step 1']);
    expect(gitIn(b.repo, 'show', '--name-only', '--format=', `nightshift/${b.label}`)).toContain('fixed.txt');
  });

  it('escalates a verification that keeps failing; skip leaves the checkpoint uncommitted and stashes its work', async () => {
    const b = await scenarioBuild(env, { name: 'verify-skip', policy: { maxAttempts: 2 }, verify: ['test "$(ls work)" = never'] });
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'verification escalation');
      expect(waiting.reason).toBe('verification-failed');
      expect(waiting.position.checkpoint).toBe('1');
      await handle.executeUpdate(skipUpdate, { args: [{ note: 'verification is wrong for now' }] });
      // Checkpoint 2 fails the same way; override it this time.
      await untilStatus(handle, (v) => v.status === 'awaiting-human' && v.position.checkpoint === '2', 'second escalation');
      await handle.executeUpdate(overrideUpdate, { args: [{ note: 'checked by hand' }] });
      const result = await handle.result();
      expect(result.commits).toEqual([
        { checkpoint: '1', commit: null },
        { checkpoint: '2', commit: expect.stringMatching(/^[0-9a-f]{40}$/) },
      ]);
      const view = await handle.query(statusQuery);
      expect(view.checkpoints.map((c) => c.status)).toEqual(['skipped', 'completed']);
      expect(view.devNotes.map((n) => n.category)).toEqual(['deviation', 'decision']);
    });
    expect(subjects(b.repo, b.label)).toEqual(['checkpoint-2: Step 2']);
    expect(gitIn(b.repo, 'stash', 'list')).toContain(`skipped checkpoint 1 of ${b.label}`);
  });
});

describe('pause, resume, feedback, cancel', () => {
  it('pause stops at the next task boundary and resume continues from exactly there', async () => {
    const b = await scenarioBuild(env, {
      name: 'pause',
      scenario: { rules: [{ when: { checkpoint: '1' }, do: [{ tick: { every: 200, count: 8 } }, { edit: true }] }] },
    });
    await b.run(async (handle) => {
      await untilStatus(handle, (v) => v.sessions === 1, 'the first session');
      await handle.signal(pauseSignal, { reason: 'reviewing' });
      const paused = await untilStatus(handle, (v) => v.status === 'paused', 'paused');
      // The running session finished; the build stopped at the boundary after it, before verifying.
      expect(paused.checkpoints[0]?.taskGroups[0]?.status).toBe('done');
      expect(paused.checkpoints[0]?.commit).toBeNull();
      expect(paused.sessions).toBe(1);
      await new Promise((r) => setTimeout(r, 1500));
      expect((await handle.query(statusQuery)).sessions).toBe(1);
      await expect(handle.executeUpdate(pauseUpdate, { args: [{}] })).rejects.toThrow(WorkflowUpdateFailedError);
      await handle.executeUpdate(resumeUpdate);
      expect((await handle.result()).status).toBe('completed');
      await recordHistory(handle, 'pause-resume');
    });
    expect(subjects(b.repo, b.label)).toHaveLength(2);
  });

  it('a pause that arrives while a passing verification runs takes effect after its commit (one activity verifies and commits)', async () => {
    const dir = tempDir('pause-verify');
    const marker = join(dir, 'verifying');
    const go = join(dir, 'go');
    // Checkpoint 1's verification says it started, then waits for the test (at most 30 s).
    const verify = `if [ ! -e ${marker} ]; then touch ${marker}; i=0; while [ ! -e ${go} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; fi; test -d work`;
    const b = await scenarioBuild(env, { name: 'pause-verify', verify: [verify] });
    await b.run(async (handle) => {
      await eventually(() => (existsSync(marker) ? true : undefined), 30_000, 'verification to start');
      expect((await handle.query(statusQuery)).status).toBe('verifying');
      await handle.signal(pauseSignal, { reason: 'look at it' });
      await untilStatus(handle, (v) => v.pauseRequested, 'the pause request');
      writeFileSync(go, 'x');
      const paused = await untilStatus(handle, (v) => v.status === 'paused', 'paused');
      // Committed, then stopped at the next task boundary: checkpoint 2 has not started.
      expect(paused.checkpoints[0]?.status).toBe('completed');
      expect(paused.checkpoints[0]?.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(paused.checkpoints[1]?.taskGroups[0]?.status).toBe('pending');
      expect(paused.sessions).toBe(1);
      await handle.executeUpdate(resumeUpdate);
      expect((await handle.result()).status).toBe('completed');
    });
    expect(subjects(b.repo, b.label)).toEqual(['checkpoint-2: Step 2', 'checkpoint-1: Step 1']);
  });

  it('pause --now kills the session (even children ignoring SIGTERM) and re-runs that task on resume', async () => {
    const b = await scenarioBuild(env, { name: 'pause-now', checkpoints: 1 });
    const pidFile = join(b.dir, 'agent.pid');
    const childFile = join(b.dir, 'child.pid');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(b.dir, 'scenario.json'),
      JSON.stringify({ rules: [{ times: 1, do: [{ pidFile }, { spawnChild: { pidFile: childFile } }, { print: 'started' }, { hang: true }] }] }),
    );
    await b.run(async (handle) => {
      await eventually(() => (hasContent(pidFile) && hasContent(childFile) ? true : undefined), 30_000, 'the agent to start');
      const agentPid = Number(readFileSync(pidFile, 'utf8'));
      const childPid = Number(readFileSync(childFile, 'utf8'));
      expect(processAlive(agentPid)).toBe(true);
      await handle.executeUpdate(pauseUpdate, { args: [{ now: true }] });
      const paused = await untilStatus(handle, (v) => v.status === 'paused', 'paused now');
      expect(paused.checkpoints[0]?.taskGroups[0]?.status).toBe('running');
      expect(processAlive(agentPid)).toBe(false);
      expect(processAlive(childPid)).toBe(false);
      await handle.executeUpdate(resumeUpdate);
      expect((await handle.result()).status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.sessions).toBe(2);
      expect(view.attempts).toEqual([]);
    });
    expect(subjects(b.repo, b.label)).toEqual(['checkpoint-1: Step 1']);
  });

  it('feedback reaches the next session prompt once', async () => {
    const b = await scenarioBuild(env, {
      name: 'feedback',
      scenario: { rules: [{ when: { checkpoint: '1' }, do: [{ tick: { every: 200, count: 6 } }, { edit: true }] }] },
    });
    await b.run(async (handle) => {
      await untilStatus(handle, (v) => v.sessions === 1, 'the first session');
      await handle.signal(feedbackSignal, { message: 'prefer small functions' });
      await handle.result();
    });
    expect(readHome(b.home, 'builds', b.label, 'sessions', 'session-001.prompt.md')).not.toContain('prefer small functions');
    expect(readHome(b.home, 'builds', b.label, 'sessions', 'session-002.prompt.md')).toContain('- prefer small functions');
  });

  it('cancel kills the agent and finishes the build as cancelled', async () => {
    const b = await scenarioBuild(env, { name: 'cancel', checkpoints: 1 });
    const pidFile = join(b.dir, 'agent.pid');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(b.dir, 'scenario.json'), JSON.stringify({ rules: [{ do: [{ pidFile }, { hang: true }] }] }));
    await b.run(async (handle) => {
      await eventually(() => (hasContent(pidFile) ? true : undefined), 30_000, 'the agent to start');
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      expect(processAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
      expect((await handle.query(statusQuery)).status).toBe('cancelled');
    });
    expect(readHome(b.home, 'notifications.log')).toContain('[cancelled]');
  });
});

describe('stalls', () => {
  it('a silent agent is a stall: the group is killed, the attempt counted, then it escalates as stalled', async () => {
    const b = await scenarioBuild(env, { name: 'stall', checkpoints: 1, policy: { stallTimeout: '2s', maxAttempts: 2 } });
    const childFile = join(b.dir, 'child.pid');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(b.dir, 'scenario.json'), JSON.stringify({ rules: [{ do: [{ print: 'thinking...' }, { spawnChild: { pidFile: childFile } }, { sleep: 120000 }] }] }));
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.status === 'awaiting-human', 'stall escalation');
      expect(waiting.reason).toBe('stalled');
      expect(waiting.attempts.map((a) => a.outcome)).toEqual(['stalled', 'stalled']);
      expect(waiting.lastError).toMatch(/no output for 2s/);
      expect(processAlive(Number(readFileSync(childFile, 'utf8')))).toBe(false);
      expect(readHome(b.home, 'notifications.log')).toMatch(/\[stalled\]/);
      await recordHistory(handle, 'stall');
      await handle.cancel();
    });
  });
});

