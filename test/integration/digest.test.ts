import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseBuildRequest, startBuild } from '../../src/client/builds';
import type { BuildRequestInput } from '../../src/model/request';
import { overrideUpdate } from '../../src/workflows/build/messages';
import { reportWorkflow } from '../../src/workflows/report/report';
import { untilStatus } from '../support/builds';
import { makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv, eventually } from '../support/temporal';

/**
 * The morning digest (issue 12): the nightly report lists each build with its branch, delivery link,
 * checkpoints with push state, diffstat, verification, cost and DevNotes, and for a build waiting for
 * the person the reason and the exact command to act. Escalation notifications carry the command;
 * NIGHTSHIFT_WEBHOOK_FORMAT shapes the webhook body (Slack, Discord), received by a local server.
 */
let env: TestEnv;
const bodies: Record<string, unknown>[] = [];
const server = createServer((req, res) => {
  let data = '';
  req.on('data', (c: Buffer) => (data += c.toString('utf8')));
  req.on('end', () => {
    bodies.push(JSON.parse(data) as Record<string, unknown>);
    res.writeHead(200).end('ok');
  });
});
const saved = { url: process.env.NIGHTSHIFT_WEBHOOK_URL, format: process.env.NIGHTSHIFT_WEBHOOK_FORMAT };
beforeAll(async () => {
  env = await TestEnv.connect();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.NIGHTSHIFT_WEBHOOK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  process.env.NIGHTSHIFT_WEBHOOK_URL = saved.url;
  process.env.NIGHTSHIFT_WEBHOOK_FORMAT = saved.format;
  server.close();
  await env?.close();
});

it('the report digests a completed, an overridden and a waiting build; webhooks speak Slack and Discord', async () => {
  process.env.NIGHTSHIFT_WEBHOOK_FORMAT = 'slack';
  const dir = tempDir('digest');
  const taskQueue = env.taskQueue();
  const { worker, home } = await env.worker({ taskQueue });
  const script = join(dir, 'deliver.sh');
  writeFileSync(script, '#!/bin/sh\ncat > /dev/null\necho "https://reviews.example.test/night/1"\n');
  chmodSync(script, 0o755);
  const id = `${process.pid}-${Date.now() % 100000}`;
  const request = (label: string, extra: Partial<BuildRequestInput>, scenario: unknown = { rules: [] }) =>
    parseBuildRequest({
      label,
      repo: makeRepo(),
      plan: samplePlan(2),
      agent: { kind: 'scripted', scenario: writeJson(join(dir, `${label}.json`), scenario) },
      policy: { maxAttempts: 1, retryInterval: '1s', stallTimeout: '1m' },
      ...extra,
    });
  const failingSecond = () => {
    const plan = samplePlan(2);
    plan.checkpoints[1]!.testing_strategy.verification_steps = ['test -f docs/api.md'];
    return plan;
  };
  const [done, overridden, waiting] = [`search-${id}`, `billing-${id}`, `export-${id}`];
  await worker.runUntil(async () => {
    const a = await startBuild(
      env.client,
      request(done, { deliver: `sh ${script}` }, { rules: [{ when: { checkpoint: '1' }, do: [{ print: 'DEVNOTE discovery: the search index needs a rebuild after deploy' }, { edit: true }] }] }),
      { taskQueue },
    );
    const b = await startBuild(env.client, request(overridden, { plan: failingSecond() }), { taskQueue });
    const c = await startBuild(env.client, request(waiting, { plan: failingSecond() }), { taskQueue });
    await a.result();
    await untilStatus(b, (v) => v.reason === 'verification-failed', 'billing waits');
    await untilStatus(c, (v) => v.reason === 'verification-failed', 'export waits');
    // The escalation reached the Slack webhook with the command to act.
    const slack = await eventually(() => bodies.find((x) => typeof x.text === 'string' && x.text.includes(`needs a decision`) && x.text.includes(waiting)), 10_000, 'slack escalation');
    expect(Object.keys(slack).sort()).toEqual(['blocks', 'text']);
    expect(slack.text).toContain(`to act: nightshift override ${waiting} --note "…"`);
    expect((slack.blocks as { type: string; text: { type: string; text: string } }[])[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining(`*nightshift escalated* · \`${waiting}\``) } });

    process.env.NIGHTSHIFT_WEBHOOK_FORMAT = 'discord';
    await b.executeUpdate(overrideUpdate, { args: [{ note: 'api docs land with the next release' }] });
    await b.result();
    const discord = await eventually(() => bodies.find((x) => typeof x.content === 'string' && x.content.includes(`build ${overridden} completed`)), 10_000, 'discord completion');
    expect(Object.keys(discord)).toEqual(['content']);

    const today = new Date().toISOString().slice(0, 10);
    const result = await env.client.workflow.execute(reportWorkflow, { taskQueue, workflowId: `report-digest-${id}`, args: [{ timeZone: 'UTC' }] });
    const report = readFileSync(result.path, 'utf8');
    expect(result.path).toBe(join(home, 'build-reports', `${today}.md`));
    if (process.env.NIGHTSHIFT_DIGEST_SAMPLE) writeFileSync(process.env.NIGHTSHIFT_DIGEST_SAMPLE, report);
    const section = (label: string) => {
      const start = report.indexOf(`### ${label}`);
      expect(start).toBeGreaterThanOrEqual(0);
      const end = report.indexOf('\n### ', start + 4);
      return report.slice(start, end < 0 ? report.indexOf('\n## ', start) : end);
    };
    // Waiting builds come first, with the reason and the command.
    expect(report.indexOf(`### ${waiting}`)).toBeLessThan(report.indexOf(`### ${done}`));
    expect(report).toContain('**1 build(s) wait for you.**');
    const w = section(waiting);
    expect(w).toContain('- **waits for you** (verification-failed) at checkpoint 2 verification');
    expect(w).toContain(`to act: \`nightshift override ${waiting} --note "…"   (or: nightshift retry ${waiting} · nightshift skip ${waiting} --note "…")\``);
    const d = section(done);
    expect(d).toContain('- **completed** · delivered https://reviews.example.test/night/1');
    expect(d).toContain(`- branch \`nightshift/${done}\``);
    expect(d).toMatch(/\d+ files? changed, \d+ insertions?\(\+\)/);
    expect(d).toMatch(/- checkpoint 1 Step 1: completed `[0-9a-f]{10}`/);
    expect(d).toContain('- verification: passed first time');
    expect(d).toMatch(/- cost \$\d+\.\d\d · 2 session\(s\)/);
    expect(d).toContain('- DevNote (discovery): the search index needs a rebuild after deploy');
    const o = section(overridden);
    expect(o).toContain('- verification: 1 failed run(s), 1 overridden by a person');
    expect(o).toContain('- DevNote (decision): verification overridden: api docs land with the next release');
  });
});
