import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { buildStatus, parseBuildRequest, startBuild } from '../../src/client/builds';
import { deliverAgain, withLatestDelivery } from '../../src/client/delivery';
import type { BuildSummary } from '../../src/model/delivery';
import type { BuildRequestInput } from '../../src/model/request';
import { overrideUpdate, statusQuery } from '../../src/workflows/build/messages';
import { untilStatus } from '../support/builds';
import { branchHead } from '../support/remote';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv } from '../support/temporal';

/**
 * Delivery (issue 12): a completed build runs its delivery command with the build's summary on stdin,
 * or opens a pull request with gh. There is no GitHub here: the pull request path runs up to gh's
 * argv and body, with a fake `gh` on PATH that records them, and a bare repository standing in for
 * the GitHub remote (url.<bare>.insteadOf). A failed delivery leaves the build completed and is run
 * again by `nightshift deliver LABEL` (the deliver-<label> workflow).
 */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');
const queues = new Map<string, string>();
const taskQueueOf = (handle: { workflowId: string }) => queues.get(handle.workflowId) as string;
let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env?.close();
});

let n = 0;
async function build(repo: string, extra: Partial<BuildRequestInput>, scenario: unknown, fn: (handle: Awaited<ReturnType<typeof startBuild>>, label: string) => Promise<void>) {
  const label = `dl-${process.pid}-${++n}-${Date.now() % 100000}`;
  const scenarioFile = writeJson(join(tempDir('dl'), 'scenario.json'), scenario);
  const request = parseBuildRequest({
    label,
    repo,
    plan: samplePlan(2),
    agent: { kind: 'scripted', scenario: scenarioFile },
    policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '1m' },
    ...extra,
  });
  const taskQueue = env.taskQueue();
  const { worker } = await env.worker({ taskQueue });
  await worker.runUntil(async () => {
    const handle = await startBuild(env.client, request, { taskQueue });
    queues.set(handle.workflowId, taskQueue);
    await fn(handle, label);
  });
}

/** A delivery script: saves its stdin, prints some lines and a URL, or fails while `failFile` exists. */
function deliverScript(dir: string, failFile: string): string {
  const script = join(dir, 'deliver.sh');
  writeFileSync(
    script,
    `#!/bin/sh\ncat > "${dir}/summary.json"\nif [ -f "${failFile}" ]; then echo "review service down" >&2; exit 7; fi\necho "uploading"\necho "see https://reviews.example.test/builds/42"\necho done\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

it('a --deliver command receives the summary as JSON and its URL becomes the delivery', async () => {
  const repo = makeRepo();
  const dir = tempDir('dl');
  const script = deliverScript(dir, join(dir, 'never'));
  const scenario = { rules: [{ when: { checkpoint: '1' }, do: [{ print: 'DEVNOTE discovery: the API paginates at 50' }, { edit: true }] }] };
  await build(repo, { deliver: `sh ${script}` }, scenario, async (handle, label) => {
    await handle.result();
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('completed');
    expect(view.delivery).toMatchObject({ state: 'delivered', via: 'command', url: 'https://reviews.example.test/builds/42' });
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as BuildSummary;
    expect(summary.label).toBe(label);
    expect(summary.repo).toBe(repo);
    expect(summary.branch).toBe(`nightshift/${label}`);
    expect(summary.checkpoints.map((c) => [c.id, c.status, c.commit])).toEqual(view.checkpoints.map((c) => [c.id, 'completed', c.commit]));
    expect(summary.checkpoints[0]?.commit).toBe(gitIn(repo, 'rev-parse', `nightshift/${label}~1`));
    expect(summary.checkpoints[0]?.verification).toEqual({ steps: ['test -d work'], failedAttempts: 0, overridden: false });
    expect(summary.devNotes).toEqual([{ category: 'discovery', content: 'the API paginates at 50', scope: { type: 'task', ref: '1.1' } }]);
    expect(summary.sessions).toBe(view.sessions);
    expect(summary.costUsd).toBe(view.spentUsd);
    expect(summary.webUi).toContain(`/workflows/build-${label}/`);
    expect(summary.needsReview).toBe(false);
  });
});

it('a failed delivery leaves the build completed; nightshift deliver runs it again', async () => {
  const repo = makeRepo();
  const dir = tempDir('dl');
  const failFile = join(dir, 'fail');
  writeFileSync(failFile, '');
  const script = deliverScript(dir, failFile);
  await build(repo, { deliver: `sh ${script}` }, { rules: [] }, async (handle, label) => {
    await handle.result();
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('completed');
    expect(view.delivery?.state).toBe('failed');
    expect(view.delivery?.error).toContain('exit 7: review service down');
    // The CLI says so, and runs it again (the deliver-<label> workflow) once the cause is fixed.
    // Not spawnSync: the worker in this process must answer the CLI's queries meanwhile.
    const cli = (...args: string[]) =>
      new Promise<{ status: number; stdout: string }>((resolve) =>
        execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NIGHTSHIFT_TASK_QUEUE: taskQueueOf(handle) }, timeout: 60_000 }, (err, stdout) =>
          resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
        ),
      );
    expect((await cli('status', label)).stdout).toContain(`delivery   failed: sh ${script}: exit 7: review service down`);
    expect((await cli('deliver', label)).status).toBe(1);
    execFileSync('rm', [failFile]);
    const viaCli = await cli('deliver', label);
    expect(viaCli.status).toBe(0);
    expect(viaCli.stdout).toBe(`${label}: delivery: https://reviews.example.test/builds/42 (delivery command)\n`);
    expect((await cli('status', label)).stdout).toContain('delivery   https://reviews.example.test/builds/42 (delivery command)');
    const again = await deliverAgain(env.client, label);
    expect(again).toMatchObject({ state: 'delivered', via: 'command', url: 'https://reviews.example.test/builds/42' });
    const latest = await withLatestDelivery(env.client, await buildStatus(env.client, label));
    expect(latest.delivery?.url).toBe('https://reviews.example.test/builds/42');
  });
});

it('without gh and without --deliver there is nothing to deliver with, and the build says so', async () => {
  await build(makeRepo(), {}, { rules: [] }, async (handle) => {
    await handle.result();
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('completed');
    expect(view.delivery).toMatchObject({ state: 'none', via: 'none', error: expect.stringContaining('gh is not installed') });
  });
});

describe('the pull request, up to gh (a fake gh on PATH)', () => {
  const ghDir = tempDir('gh');
  const log = join(ghDir, 'calls');
  const path = process.env.PATH;
  beforeAll(() => {
    // Records each call's argv (one per line) and the body file; answers like gh does.
    writeFileSync(
      join(ghDir, 'gh'),
      `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> "${log}"\necho "--" >> "${log}"\n` +
        `if [ "$1" = auth ]; then echo "Logged in to github.com" >&2; exit 0; fi\n` +
        `while [ $# -gt 0 ]; do if [ "$1" = --body-file ]; then cp "$2" "${ghDir}/body.md"; fi; shift; done\n` +
        `echo "Creating pull request for nightshift/x into main in acme/app" >&2\necho "https://github.com/acme/app/pull/7"\n`,
    );
    chmodSync(join(ghDir, 'gh'), 0o755);
    process.env.PATH = `${ghDir}${delimiter}${path ?? ''}`;
  });
  afterAll(() => {
    process.env.PATH = path;
  });

  function githubRepo(): { repo: string; bare: string } {
    const repo = makeRepo();
    const bare = join(tempDir('bare'), 'app.git');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
    gitIn(repo, 'remote', 'add', 'origin', 'https://github.com/acme/app.git');
    gitIn(repo, 'config', `url.${bare}.insteadOf`, 'https://github.com/acme/app.git');
    gitIn(repo, 'push', '-q', 'origin', 'main');
    return { repo, bare };
  }

  it('pushes the branch and opens a draft pull request when a person overrode a failed verification', async () => {
    const { repo, bare } = githubRepo();
    writeFileSync(log, '');
    const plan = samplePlan(2);
    plan.checkpoints[1]!.testing_strategy.verification_steps = ['test -f never-there'];
    await build(repo, { plan }, { rules: [] }, async (handle, label) => {
      await untilStatus(handle, (v) => v.reason === 'verification-failed', 'verification-failed');
      await handle.executeUpdate(overrideUpdate, { args: [{ note: 'the file comes with the next release' }] });
      await handle.result();
      const view = await handle.query(statusQuery);
      expect(view.delivery).toMatchObject({ state: 'delivered', via: 'pr', url: 'https://github.com/acme/app/pull/7', draft: true });
      // The branch is on the remote at the build's last commit.
      expect(branchHead(bare, `nightshift/${label}`)).toBe(view.checkpoints[1]?.commit);
      const calls = readFileSync(log, 'utf8').split('--\n').filter(Boolean).map((c) => c.split('\n').filter(Boolean));
      expect(calls[0]).toEqual(['auth', 'status']);
      const create = calls[1] as string[];
      const bodyFile = create[create.indexOf('--body-file') + 1] as string;
      expect(create).toEqual([
        'pr', 'create', '--repo', 'acme/app', '--head', `nightshift/${label}`, '--base', 'main',
        '--title', `Sample plan with 2 checkpoints (nightshift ${label})`, '--body-file', bodyFile, '--draft',
      ]);
      expect(existsSync(bodyFile)).toBe(false);
      const body = readFileSync(join(ghDir, 'body.md'), 'utf8');
      expect(body).toContain(`branch \`nightshift/${label}\``);
      expect(body).toContain('**Draft:**');
      expect(body).toContain(`**1. Step 1**: completed \`${view.checkpoints[0]?.commit?.slice(0, 10)}\``);
      expect(body).toContain('verification: overridden after 1 failed run(s)');
      expect(body).toContain('**decision** (checkpoint 2): verification overridden: the file comes with the next release');
      expect(body).toContain(`/workflows/build-${label}/`);
    });
  });

  it('a clean build opens a ready pull request', async () => {
    const { repo } = githubRepo();
    writeFileSync(log, '');
    await build(repo, {}, { rules: [] }, async (handle) => {
      await handle.result();
      const view = await handle.query(statusQuery);
      expect(view.delivery).toMatchObject({ state: 'delivered', via: 'pr', draft: false });
      expect(readFileSync(log, 'utf8')).not.toContain('--draft');
    });
  });
});
