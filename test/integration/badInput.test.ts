import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeRepo, samplePlan, tempDir } from '../support/repo';
import { TestEnv } from '../support/temporal';

/**
 * The bad-input matrix (issue 10): every row is a promise. Bad input to any command is answered with
 * a message naming the field (and the file and line where there is one), the documented exit code
 * (2 for bad input, 3 for something named that does not exist), no stack trace, and nothing started,
 * queued or scheduled on the server. Rows run against the real test server with no worker, each on a
 * task queue of its own, so anything a row wrongly started would show up there.
 *
 * In argv, files and messages: $DIR is the row's temp dir, $REPO a fresh git repository.
 */
interface Row {
  promise: string;
  argv: string[];
  files?: Record<string, string>;
  code: number;
  says: string[];
  /** Answered as a report on stdout (an import's per-entry results), not as one error. */
  report?: true;
}

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');
const plan = (value: unknown) => JSON.stringify(value, null, 2);
const good = plan(samplePlan(2));
const cp = (over: Record<string, unknown>) => plan({ title: 't', checkpoints: [{ ...samplePlan(1).checkpoints[0], ...over }] });
const state = (status: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ current_phase: 'plan', phases: { plan: { status } }, plan_state: { current_checkpoint: 1, checkpoints_completed: [] }, ...extra });
const SESSION = '$REPO/agents/sessions/s1';
const queueMd = (active: string, details = '') => `# BUILD_QUEUE.md\n\n## Active Queue\n\n${active}\n\n## Task Details\n\n${details}\n`;

const rows: Row[] = [
  // start: flags
  { promise: 'start needs a plan or a session', argv: ['start', '--repo', '$REPO'], code: 2, says: ['--plan: give exactly one of --plan FILE or --session ID'] },
  { promise: 'start takes a plan or a session, not both', argv: ['start', '--plan', '$DIR/p.json', '--session', 's1', '--repo', '$REPO'], files: { '$DIR/p.json': good }, code: 2, says: ['give exactly one of --plan FILE or --session ID'] },
  { promise: 'an unknown flag is named', argv: ['start', '--plan', '$DIR/p.json', '--colour', 'red'], files: { '$DIR/p.json': good }, code: 2, says: ["Unknown option '--colour'", 'nightshift start --help'] },
  { promise: 'an unknown agent is named with the choices', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--agent', 'gpt'], files: { '$DIR/p.json': good }, code: 2, says: ['--agent', 'claude'] },
  { promise: '--agent command needs its command', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--agent', 'command'], files: { '$DIR/p.json': good }, code: 2, says: ['--agent-command', '--agent command needs --agent-command'] },
  { promise: 'a duration without a unit is refused', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--stall-timeout', '4'], files: { '$DIR/p.json': good }, code: 2, says: ['--stall-timeout', 'expected a duration with a unit'] },
  { promise: 'zero attempts are refused', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--max-attempts', '0'], files: { '$DIR/p.json': good }, code: 2, says: ['--max-attempts: expected a whole number of attempts, at least 1'] },
  { promise: 'a budget must be dollars', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--session-budget', 'ten'], files: { '$DIR/p.json': good }, code: 2, says: ['--session-budget: expected US dollars'] },
  { promise: 'a fractional turn count is refused', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--max-turns', '1.5'], files: { '$DIR/p.json': good }, code: 2, says: ['--max-turns: expected a whole number of turns'] },
  { promise: 'a label that cannot be a branch is refused', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--label', 'My Build!'], files: { '$DIR/p.json': good }, code: 2, says: ['--label', 'label: expected lowercase letters'] },
  { promise: 'a repo that is not git is refused', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$DIR'], files: { '$DIR/p.json': good }, code: 2, says: ['--repo: $DIR is not a git repository'] },
  { promise: 'stray words are refused (an unquoted value)', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', 'now'], files: { '$DIR/p.json': good }, code: 2, says: ['unexpected arguments: now'] },
  { promise: '--checkpoint goes with --session', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--checkpoint', '2'], files: { '$DIR/p.json': good }, code: 2, says: ['--checkpoint: --checkpoint goes with --session'] },
  { promise: '--env needs KEY=VALUE', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--env', 'JUSTAKEY'], files: { '$DIR/p.json': good }, code: 2, says: ['--env: "JUSTAKEY" is not KEY=VALUE'] },
  { promise: 'a secret in --env is refused, pointing at the worker side', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO', '--env', 'GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789'], files: { '$DIR/p.json': good }, code: 2, says: ['--env: GITHUB_TOKEN: looks like a secret', 'NIGHTSHIFT_AGENT_ENV_FILE'] },

  // plan files
  { promise: 'a missing plan file is named', argv: ['start', '--plan', '$DIR/nope.json', '--repo', '$REPO'], code: 3, says: ['plan file $DIR/nope.json does not exist'] },
  { promise: 'a plan that is not JSON is named with the line', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO'], files: { '$DIR/p.json': '{\n  "title": "x",\n  "checkpoints": [\n}\n' }, code: 2, says: ['$DIR/p.json is not valid', "not valid JSON at line 4, column 1: Unexpected token '}'"] },
  { promise: 'an empty plan file is named', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO'], files: { '$DIR/p.json': '' }, code: 2, says: ['$DIR/p.json is not valid', 'not valid JSON'] },
  { promise: 'a plan without checkpoints names the field', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO'], files: { '$DIR/p.json': plan({ title: 'x', checkpoints: [] }) }, code: 2, says: ['$DIR/p.json is not valid', 'checkpoints'] },
  { promise: 'a checkpoint without task groups names its path', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO'], files: { '$DIR/p.json': cp({ task_groups: [] }) }, code: 2, says: ['checkpoints[0].task_groups: a checkpoint needs at least one task group (line 8)'] },
  { promise: 'a task with neither description nor action names its path', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO'], files: { '$DIR/p.json': cp({ task_groups: [{ id: '1.1', title: 'g', tasks: [{ id: '1.1.1' }] }] }) }, code: 2, says: ['checkpoints[0].task_groups[0].tasks[0]', 'a task needs a "description" or an "action"'] },
  { promise: 'duplicate checkpoint ids are named', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO'], files: { '$DIR/p.json': plan({ title: 't', checkpoints: [samplePlan(1).checkpoints[0], samplePlan(1).checkpoints[0]] }) }, code: 2, says: ['checkpoints[1].id: duplicate checkpoint id "1"'] },
  {
    promise: 'task groups depending on each other in a cycle are named',
    argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO'],
    files: { '$DIR/p.json': cp({ task_groups: [{ id: '1.1', title: 'a', depends_on: ['1.2'], tasks: [{ id: 't1', description: 'x' }] }, { id: '1.2', title: 'b', depends_on: ['1.1'], tasks: [{ id: 't2', description: 'y' }] }] }) },
    code: 2,
    says: ['checkpoints[0].task_groups: task groups depend on each other in a cycle'],
  },
  { promise: 'a plan that is a JSON array is refused', argv: ['start', '--plan', '$DIR/p.json', '--repo', '$REPO'], files: { '$DIR/p.json': '[1, 2]' }, code: 2, says: ['$DIR/p.json is not valid', '(root)'] },

  // seed-001 session directories
  { promise: 'a session that does not exist says so in the seed\'s words', argv: ['start', '--session', 'nope', '--repo', '$REPO'], code: 3, says: ["Session 'nope' not found."] },
  { promise: 'a session whose plan is not finalized is refused', argv: ['start', '--session', 's1', '--repo', '$REPO'], files: { [`${SESSION}/state.json`]: state('draft'), [`${SESSION}/plan.json`]: good }, code: 2, says: ['Plan is not finalized. Use `/session:plan s1 finalize` first.'] },
  { promise: 'a broken state.json is named with the line', argv: ['start', '--session', 's1', '--repo', '$REPO'], files: { [`${SESSION}/state.json`]: '{\n  "phases": {,\n}', [`${SESSION}/plan.json`]: good }, code: 2, says: [`${SESSION}/state.json is not valid`, 'not valid JSON at line 2, column 14'] },
  { promise: 'a session plan.json that is not a plan names the file and path', argv: ['start', '--session', 's1', '--repo', '$REPO'], files: { [`${SESSION}/state.json`]: state('finalized'), [`${SESSION}/plan.json`]: plan({ title: 'x', checkpoints: [{ id: 1, title: 5 }] }) }, code: 2, says: [`${SESSION}/plan.json is not valid`, 'checkpoints[0].title: Invalid input: expected string, received number (line 6)'] },
  { promise: 'a checkpoint number that is not a number is named', argv: ['start', '--session', 's1', '--repo', '$REPO', '--checkpoint', 'two'], files: { [`${SESSION}/state.json`]: state('finalized'), [`${SESSION}/plan.json`]: good }, code: 2, says: ['--checkpoint: expected a checkpoint number, e.g. "2", got "two"'] },
  { promise: 'a checkpoint the plan does not have lists the ones it has', argv: ['start', '--session', 's1', '--repo', '$REPO', '--checkpoint', '9'], files: { [`${SESSION}/state.json`]: state('finalized'), [`${SESSION}/plan.json`]: good }, code: 3, says: ['Checkpoint 9 not found in plan. Available: 1, 2'] },
  { promise: 'a session without plan.json is named', argv: ['start', '--session', 's1', '--repo', '$REPO'], files: { [`${SESSION}/state.json`]: state('finalized') }, code: 3, says: ["Session 's1' has no plan.json"] },

  // add
  { promise: 'add needs --repo', argv: ['add', '--name', 'x', '--desc', 'd', '--criteria', 'c'], code: 2, says: ['--repo: --repo DIR is required'] },
  { promise: 'add takes --name or --from, not both', argv: ['add', '--name', 'x', '--from', '$DIR/q.md', '--repo', '$REPO'], code: 2, says: ['--name: give --name (one entry) or --from BUILD_QUEUE.md (many), not both'] },
  { promise: 'an unknown priority is named with the choices', argv: ['add', '--name', 'x', '--priority', 'urgent', '--repo', '$REPO'], code: 2, says: ['--priority', 'high'] },
  { promise: 'a queue name that cannot be a workflow id is refused', argv: ['add', '--name', 'x', '--queue', 'My Queue', '--repo', '$REPO'], code: 2, says: ['--queue: expected a queue name'] },
  { promise: 'add --max-sessions 0 is refused', argv: ['add', '--name', 'x', '--max-sessions', '0', '--repo', '$REPO'], code: 2, says: ['--max-sessions: expected a whole number of sessions'] },
  { promise: 'add --plan with a bad plan names the file before anything is queued', argv: ['add', '--name', 'Build the thing', '--desc', 'Build a REST API for todos with tests', '--criteria', 'tests pass', '--plan', '$DIR/p.json', '--repo', '$REPO'], files: { '$DIR/p.json': '{"title": 1}' }, code: 2, says: ['$DIR/p.json is not valid', 'title'] },
  { promise: 'add --from a file that does not exist is named', argv: ['add', '--from', '$DIR/missing.md', '--repo', '$REPO'], code: 2, says: ['--from: cannot read $DIR/missing.md'] },
  { promise: 'add --from: a queue line it cannot read is named with file and line, nothing queued', argv: ['add', '--from', '$DIR/q.md', '--repo', '$REPO'], files: { '$DIR/q.md': queueMd('- Spotify thing, high priority') }, code: 2, says: ['$DIR/q.md is not valid', 'line 5: expected a queue line like'] },
  { promise: 'add --from: an unknown priority is named with its line', argv: ['add', '--from', '$DIR/q.md', '--repo', '$REPO'], files: { '$DIR/q.md': queueMd('- [ ] Thing - Added: 2026-02-06 15:00 - Priority: Urgent') }, code: 2, says: ['$DIR/q.md is not valid', 'line 5: "Thing" has priority "Urgent": expected High, Medium or Low'] },
  { promise: 'add --from: an unreadable date is named with its line', argv: ['add', '--from', '$DIR/q.md', '--repo', '$REPO'], files: { '$DIR/q.md': queueMd('- [ ] Thing - Added: yesterday - Priority: High') }, code: 2, says: ['$DIR/q.md is not valid', 'line 5: "Thing" has an unreadable date "Added: yesterday"'] },
  {
    promise: 'add --from: an entry without a description or criteria is refused with its reasons, nothing queued',
    argv: ['add', '--from', '$DIR/q.md', '--repo', '$REPO'],
    files: { '$DIR/q.md': queueMd('- [ ] Thing - Added: 2026-02-06 15:00 - Priority: High', '### Thing\n- **Tech Stack:** Python\n') },
    code: 2,
    says: ['refused   thing', 'no description'],
    report: true,
  },
  { promise: 'add: a vague description and no criteria are refused before anything is sent', argv: ['add', '--name', 'Stuff', '--desc', 'do stuff', '--repo', '$REPO'], code: 2, says: ['"stuff" was not queued', 'too vague'] },
  { promise: 'add --from: an unknown time zone is named', argv: ['add', '--from', '$DIR/q.md', '--tz', 'Mars/Olympus', '--repo', '$REPO'], files: { '$DIR/q.md': queueMd('') }, code: 2, says: ['--tz: expected an IANA time zone'] },

  // loop
  { promise: 'loop needs a task', argv: ['loop', '--repo', '$REPO'], code: 2, says: ['a task description is required'] },
  { promise: 'loop --max-sessions must be a whole number', argv: ['loop', 'do it', '--repo', '$REPO', '--max-sessions', 'many'], code: 2, says: ['--max-sessions: expected a whole number of sessions, at least 1'] },
  { promise: 'loop --hook needs a task, checked before connecting', argv: ['loop', '--hook', '--repo', '$REPO'], code: 2, says: ['a task description is required', 'nightshift loop --hook "task description"'] },
  { promise: 'loop --hook runs no agent: agent flags are refused', argv: ['loop', '--hook', 'fix the tests', '--repo', '$REPO', '--model', 'sonnet'], code: 2, says: ['--model: does not apply with --hook'] },
  { promise: 'loop --cancel names one loop', argv: ['loop', '--cancel'], code: 2, says: ['--cancel: expected one task NAME'] },
  { promise: 'loop --max-iterations goes with --hook', argv: ['loop', 'fix the tests', '--repo', '$REPO', '--max-iterations', '3'], code: 2, says: ['--max-iterations goes with --hook'] },
  { promise: 'loop takes one of --hook, --continue, --list, --status, --cancel', argv: ['loop', '--continue', '--list'], code: 2, says: ['--continue: give at most one of --hook, --continue, --list, --status, --cancel'] },
  { promise: 'a task name that cannot be a workflow id is refused', argv: ['loop', 'do it', '--repo', '$REPO', '--task-name', 'Do It!'], code: 2, says: ['--task-name', 'expected lowercase letters'] },
  { promise: 'a loop budget must be dollars', argv: ['loop', 'do it', '--repo', '$REPO', '--budget', 'lots'], code: 2, says: ['--budget: expected an amount in USD'] },
  { promise: 'a loop in a directory that is not git is refused', argv: ['loop', 'do it', '--repo', '$DIR'], code: 2, says: ['--repo: $DIR is not a git repository'] },
  { promise: 'a secret in loop --env is refused', argv: ['loop', 'do it', '--repo', '$REPO', '--env', 'DB_PASSWORD=hunter2'], code: 2, says: ['--env: DB_PASSWORD: looks like a secret'] },

  { promise: 'loop --continue with agent settings but no --agent is refused', argv: ['loop', '--continue', 'some-task', '--model', 'sonnet'], code: 2, says: ['--agent: with --continue, agent settings replace the agent: give --agent too'] },
  { promise: 'add --max-turns 0 is refused', argv: ['add', '--name', 'x', '--agent', 'claude', '--max-turns', '0', '--repo', '$REPO'], code: 2, says: ['--max-turns: expected a whole number of turns'] },

  // doctor and worker
  { promise: 'doctor names an agent it does not know', argv: ['doctor', '--agent', 'cursor'], code: 2, says: ['--agent', 'claude'] },
  { promise: 'doctor --agent-bin goes with --agent', argv: ['doctor', '--agent-bin', '/usr/bin/true'], code: 2, says: ['--agent-bin: --agent-bin goes with --agent NAME'] },
  { promise: 'a worker with a missing env file does not start', argv: ['worker', '--agent-env-file', '$DIR/none.env'], code: 3, says: ['agent env file $DIR/none.env cannot be read'] },
  { promise: 'a worker env file with a bad line names file and line', argv: ['worker', '--agent-env-file', '$DIR/a.env'], files: { '$DIR/a.env': 'A=1\n9LIVES=x\n' }, code: 2, says: ['$DIR/a.env is not valid', 'line 2: "9LIVES" is not a valid environment variable name'] },

  // schedule
  { promise: 'schedule needs a verb', argv: ['schedule'], code: 2, says: ['expected one of add, list, pause, unpause, delete, trigger'] },
  { promise: 'an unknown schedule verb is named', argv: ['schedule', 'remove', 'x'], code: 2, says: ['expected one of add, list, pause, unpause, delete, trigger, not "remove"'] },
  { promise: 'schedule add needs --every', argv: ['schedule', 'add', 'badinput-hourly', '--repo', '$REPO', '--prompt-file', '$DIR/p.md'], files: { '$DIR/p.md': 'build' }, code: 2, says: ['--every: --every is required'] },
  { promise: 'schedule add --every must be a duration', argv: ['schedule', 'add', 'badinput-hourly', '--every', 'hourly', '--repo', '$REPO', '--prompt-file', '$DIR/p.md'], files: { '$DIR/p.md': 'build' }, code: 2, says: ['--every: expected a duration like 30m or 1h'] },
  { promise: 'a schedule name that cannot be an id is refused', argv: ['schedule', 'add', 'Every Hour', '--every', '1h', '--repo', '$REPO', '--prompt-file', '$DIR/p.md'], files: { '$DIR/p.md': 'build' }, code: 2, says: ['NAME: expected lowercase letters'] },
  { promise: 'schedule add names a missing prompt file', argv: ['schedule', 'add', 'badinput-hourly', '--every', '1h', '--repo', '$REPO', '--prompt-file', '$DIR/missing.md'], code: 2, says: ['$DIR/missing.md: cannot read it'] },
  { promise: 'schedule add names an unknown time zone', argv: ['schedule', 'add', 'badinput-hourly', '--every', '1h', '--repo', '$REPO', '--prompt-file', '$DIR/p.md', '--time-zone', 'Mars/Base'], files: { '$DIR/p.md': 'build' }, code: 2, says: ['--time-zone: expected an IANA time zone'] },
  { promise: 'schedule add refuses a secret in --env', argv: ['schedule', 'add', 'badinput-hourly', '--every', '1h', '--repo', '$REPO', '--prompt-file', '$DIR/p.md', '--agent', 'claude', '--env', 'ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijk'], files: { '$DIR/p.md': 'build' }, code: 2, says: ['--env: ANTHROPIC_API_KEY: looks like a secret'] },

  // queue policy
  { promise: 'queue policy --concurrency 0 is refused', argv: ['queue', 'policy', '--concurrency', '0'], code: 2, says: ['--concurrency: expected a whole number of builds, at least 1'] },
  { promise: 'an off-hours window that is not HH:MM-HH:MM is named', argv: ['queue', 'policy', '--off-hours', '25:00-06:00'], code: 2, says: ['--off-hours'] },
  { promise: 'an unknown time zone for the queue is named', argv: ['queue', 'policy', '--tz', 'Nowhere/City'], code: 2, says: ['--tz'] },
  { promise: 'queue --retry-interval must be a duration', argv: ['queue', 'policy', '--retry-interval', 'soon'], code: 2, says: ['--retry-interval: expected a duration'] },
  { promise: 'an unknown queue subcommand is named', argv: ['queue', 'flush'], code: 2, says: ['unexpected arguments: flush'] },

  // control verbs
  { promise: 'pause needs a label', argv: ['pause'], code: 2, says: ['a build LABEL is required'] },
  { promise: 'override needs a note', argv: ['override', 'some-build'], code: 2, says: ['--note: a note saying why is required'] },
  { promise: 'skip refuses a blank note', argv: ['skip', 'some-build', '--note', '   '], code: 2, says: ['--note: a note saying why is required'] },
  { promise: 'resume takes one label', argv: ['resume', 'a', 'b'], code: 2, says: ['unexpected arguments: b'] },
  { promise: 'feedback needs a message', argv: ['feedback', 'some-build'], code: 2, says: ['a feedback MESSAGE is required'] },
  { promise: 'a verb for a build that does not exist says so', argv: ['pause', 'no-such-build-anywhere'], code: 3, says: ['no-such-build-anywhere'] },
  { promise: 'cancel takes one label', argv: ['cancel'], code: 2, says: ['a build LABEL is required'] },
  { promise: 'an unknown command is named', argv: ['bulid'], code: 2, says: ['unknown command "bulid"'] },
];

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});

function run(argv: string[], extraEnv: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...argv], { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Bad input is answered at once; a command still running after this waits for something it should not.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('bad input is answered, never acted on', () => {
  it('has at least 40 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(rows.map((r) => [r.promise, r] as const))('%s', async (_promise, row) => {
    const dir = tempDir('bad');
    const repo = makeRepo();
    const sub = (s: string) => s.replace(/\$DIR/g, dir).replace(/\$REPO/g, repo);
    for (const [path, content] of Object.entries(row.files ?? {})) {
      mkdirSync(dirname(sub(path)), { recursive: true });
      writeFileSync(sub(path), content);
    }
    const taskQueue = env.taskQueue();
    const r = await run(row.argv.map(sub), { NIGHTSHIFT_TASK_QUEUE: taskQueue, NIGHTSHIFT_HOME: join(dir, 'home') });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: row.code, stderr: row.report ? expect.any(String) : expect.stringMatching(/^error: /) });
    for (const fragment of row.says) expect(row.report ? r.stdout : r.stderr).toContain(sub(fragment));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Nothing started or queued: no workflow of any kind on the row's task queue, no new schedule.
    const started: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) started.push(wf.workflowId);
    expect(started).toEqual([]);
    // Only `schedule add NAME` creates schedules (other test files create their own meanwhile).
    if (row.argv[0] === 'schedule' && row.argv[2]) {
      const handle = env.client.schedule.getHandle(`nightshift-${row.argv[2]}`);
      const created = await handle.describe().then(
        () => true,
        () => false,
      );
      // A schedule wrongly created fails this row only, not the rows after it.
      if (created) await handle.delete();
      expect({ scheduleCreated: created }).toEqual({ scheduleCreated: false });
    }
  });
});
