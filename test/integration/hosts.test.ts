import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { retryUpdate, skipUpdate, statusQuery } from '../../src/workflows/build/messages';
import { scenarioBuild, untilStatus } from '../support/builds';
import { failoverScenario } from '../support/failover';
import { addOrigin, branchHead, checkpointTrailers } from '../support/remote';
import { branchSubjects, gitIn, makeRepo, tempDir, writeJson } from '../support/repo';
import { TestEnv } from '../support/temporal';
import { parseLoopRequest, startLoop } from '../../src/client/loops';
import { loopStatusQuery } from '../../src/workflows/loop/messages';
import { exited, startWorkerProcess } from '../support/workerProcess';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

describe('hosts own workspaces, checkpoints are pushed, a lost host is taken over', () => {
  it('two hosts and an origin: the owner SIGKILLed during checkpoint 2, the other host takes over from the pushed checkpoint 1 and finishes', async () => {
    const figure = await failoverScenario(env.client, process.env.TEMPORAL_ADDRESS as string);
    process.stderr.write(`failover (dev server): ${figure}\n`);
  });

  it('a remote that is gone: the push is retried, then the person hears why; the local commit stays; retry pushes once the remote is back', async () => {
    const b = await scenarioBuild(env, { name: 'push-gone', checkpoints: 2 });
    const origin = addOrigin(b.repo);
    rmSync(origin, { recursive: true, force: true });
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.reason === 'push-failed', 'the push to the person', 90_000);
      expect(waiting.waiting?.message).toContain('(remote-gone)');
      expect(waiting.waiting?.message).toContain(`The commit stays in ${waiting.worktree}`);
      const cp1 = waiting.checkpoints[0];
      expect(cp1?.push).toMatchObject({ remote: 'origin', pushed: false, commit: cp1?.commit });
      expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-1: Step 1']);
      execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
      gitIn(b.repo, 'push', '-q', 'origin', 'main');
      await handle.executeUpdate(retryUpdate);
      const result = await handle.result();
      expect(result.status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.checkpoints.map((c) => c.push?.pushed)).toEqual([true, true]);
      expect(checkpointTrailers(origin, `nightshift/${b.label}`)).toEqual(['2', '1']);
    });
  });

  it('a rejected push (someone pushed to the branch): the person hears it at once; skip goes on without pushing and says so', async () => {
    const b = await scenarioBuild(env, { name: 'push-rejected', checkpoints: 1 });
    const origin = addOrigin(b.repo);
    // Someone else's commit on the build's branch on the remote, unrelated to the build's.
    const other = makeRepo();
    gitIn(other, 'commit', '-q', '--allow-empty', '-m', 'not the build');
    gitIn(other, 'push', '-q', origin, `HEAD:refs/heads/nightshift/${b.label}`);
    const theirs = branchHead(origin, `nightshift/${b.label}`);
    await b.run(async (handle) => {
      const waiting = await untilStatus(handle, (v) => v.reason === 'push-failed', 'the rejected push to the person', 60_000);
      expect(waiting.waiting?.message).toContain('(rejected)');
      expect(waiting.attempts).toEqual([]);
      await handle.executeUpdate(skipUpdate, { args: [{ note: 'the branch is shared; pushed by hand later' }] });
      const result = await handle.result();
      expect(result.status).toBe('completed');
      const view = await handle.query(statusQuery);
      expect(view.checkpoints[0]?.push).toMatchObject({ pushed: false, note: 'skip: the branch is shared; pushed by hand later' });
      expect(view.devNotes.map((n) => n.content)).toContainEqual(expect.stringContaining('was not pushed to origin'));
      // The remote branch is untouched (never forced) and the commit stays local.
      expect(branchHead(origin, `nightshift/${b.label}`)).toBe(theirs);
      expect(branchSubjects(b.repo, b.label)).toEqual(['checkpoint-1: Step 1']);
      expect(existsSync(join(b.home, 'workspaces', b.label))).toBe(true);
    });
  });

  it('a loop stays on the host that first ran it: every session runs in that host\'s worker, none in the other\'s', async () => {
    const repo = makeRepo();
    const taskName = `hostloop-${Date.now()}`;
    const say = (line: string) => ({ print: line });
    const work = (line: string) => [{ append: { path: 'notes.txt', content: `${line}\n` } }, say(line)];
    const scenario = writeJson(join(tempDir('hostloop'), 'scenario.json'), {
      rules: [
        { when: { session: 1 }, do: work('one') },
        { when: { session: 2 }, do: work('two') },
        { when: { session: 3 }, do: [...work('three'), say('<promise>DONE</promise>')] },
      ],
      otherwise: [{ exit: 9 }],
    });
    const taskQueue = env.taskQueue();
    const address = process.env.TEMPORAL_ADDRESS as string;
    const homes = { 'host-a': tempDir('home-a'), 'host-b': tempDir('home-b') };
    const workers = Object.entries(homes).map(([host, home]) => startWorkerProcess({ address, home, taskQueue, host }));
    try {
      const request = parseLoopRequest({ taskName, task: 'Write three notes', repo, agent: { kind: 'scripted', scenario }, mode: 'lightweight', maxSessions: 5, policy: { stallTimeout: '1m' } });
      const handle = await startLoop(env.client, request, { taskQueue });
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'completed', sessions: 3 });
      const view = await handle.query(loopStatusQuery);
      const owner = view.host as keyof typeof homes;
      expect(Object.keys(homes)).toContain(owner);
      const other = owner === 'host-a' ? 'host-b' : 'host-a';
      // Sessions leave their process records in the home of the worker that ran them.
      expect(existsSync(join(homes[owner], 'builds', taskName))).toBe(true);
      expect(existsSync(join(homes[other], 'builds', taskName))).toBe(false);
    } finally {
      for (const w of workers) {
        w.kill('SIGTERM');
        await exited(w);
      }
    }
  });
});
