import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { gitIn, makeRepo, samplePlan, tempDir, writeJson } from '../support/repo';
import { TestEnv } from '../support/temporal';
import { exited } from '../support/workerProcess';
import { CLI, nightshift } from '../support/cli';


let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await env.close();
});


/** `nightshift worker --agent-env-file FILE` as a real process on its own task queue and home. */
function workerWithEnvFile(taskQueue: string, home: string, envFile: string): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [CLI, 'worker', '--agent-env-file', envFile], {
    env: { ...process.env, NIGHTSHIFT_HOME: home, NIGHTSHIFT_TASK_QUEUE: taskQueue, NIGHTSHIFT_WORKFLOW_BUNDLE: process.env.NIGHTSHIFT_TEST_BUNDLE ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

/** Every string in a workflow's history, payloads decoded: what anyone with access to Temporal can read. */
async function historyText(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}

describe('agent environment', () => {
  // A secret of no known shape under a name no pattern knows: only the worker's own masking can hide it.
  const SECRET = 'plain-looking-7f3a9c2e51';

  it('--env reaches the agent; the env file secret reaches it too, but appears nowhere in workflow history', async () => {
    const taskQueue = env.taskQueue();
    const home = tempDir('home');
    const envFile = join(tempDir('envfile'), 'agents.env');
    writeFileSync(envFile, `# worker-side secrets\nSERVICE_CRED=${SECRET}\n`);
    const worker = workerWithEnvFile(taskQueue, home, envFile);
    try {
      const repo = makeRepo();
      const plan = writeJson(join(tempDir('plan'), 'plan.json'), samplePlan(1, ['test -f agent-env.txt']));
      const label = `env-${Date.now() % 1_000_000}`;
      // The agent records its environment in the worktree and prints the secret, as a careless agent would.
      const agent = `sh -c 'env > agent-env.txt; echo "the cred is $SERVICE_CRED, mode $BUILD_MODE"'`;
      const r = await nightshift(
        ['start', '--plan', plan, '--repo', repo, '--label', label, '--agent', 'command', '--agent-command', agent, '--env', 'BUILD_MODE=fast', '--env', 'EXTRA=a=b c', '--wait', '--json'],
        { NIGHTSHIFT_TASK_QUEUE: taskQueue, NIGHTSHIFT_HOME: home },
      );
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      const seen = gitIn(repo, 'show', `nightshift/${label}:agent-env.txt`).split('\n');
      expect(seen).toContain('BUILD_MODE=fast');
      expect(seen).toContain('EXTRA=a=b c');
      expect(seen).toContain(`SERVICE_CRED=${SECRET}`);

      const handle = env.client.workflow.getHandle(`build-${label}`);
      const history = await historyText(handle);
      expect(history).toContain('BUILD_MODE');
      expect(history).toContain('the cred is [REDACTED], mode fast');
      expect(history).not.toContain(SECRET);
      expect(r.stdout).not.toContain(SECRET);
      const transcript = readFileSync(join(home, 'builds', label, 'sessions', 'session-001.log'), 'utf8');
      expect(transcript).toContain('the cred is [REDACTED]');
      expect(transcript).not.toContain(SECRET);
      expect(worker.output()).toContain(`agent env file ${envFile}: SERVICE_CRED (values stay on this worker)`);
      expect(worker.output()).not.toContain(SECRET);
    } finally {
      worker.kill('SIGTERM');
      await exited(worker);
    }
  });

  it('loop --env reaches the loop\'s agent; schedule add takes any agent with its flags and --env', async () => {
    const taskQueue = env.taskQueue();
    const home = tempDir('home');
    const envFile = join(tempDir('envfile'), 'agents.env');
    writeFileSync(envFile, `SERVICE_CRED=${SECRET}\n`);
    const worker = workerWithEnvFile(taskQueue, home, envFile);
    try {
      const repo = makeRepo();
      const name = `envloop-${Date.now() % 1_000_000}`;
      const agent = `sh -c 'env > loop-env.txt; echo "<promise>DONE</promise> $SERVICE_CRED"'`;
      const cli = (args: string[]) => nightshift(args, { NIGHTSHIFT_TASK_QUEUE: taskQueue, NIGHTSHIFT_HOME: home });
      const r = await cli(['loop', 'write the env', '--repo', repo, '--task-name', name, '--lightweight', '--max-sessions', '1', '--agent', 'command', '--agent-command', agent, '--env', 'LOOP_MODE=careful', '--wait', '--json']);
      expect(r.code).toBe(0);
      const seen = readFileSync(join(repo, 'loop-env.txt'), 'utf8').split('\n');
      expect(seen).toContain('LOOP_MODE=careful');
      expect(seen).toContain(`SERVICE_CRED=${SECRET}`);
      expect(await historyText(env.client.workflow.getHandle(`loop-${name}`))).not.toContain(SECRET);

      const prompt = join(tempDir('prompt'), 'session.md');
      writeFileSync(prompt, 'Build the next thing.\n');
      const sched = `envsched-${Date.now() % 1_000_000}`;
      const added = await cli(['schedule', 'add', sched, '--every', '1h', '--repo', repo, '--prompt-file', prompt, '--agent', 'claude', '--model', 'sonnet', '--max-turns', '5', '--env', 'MODE=nightly', '--json']);
      expect(added.code).toBe(0);
      const described = await env.client.schedule.getHandle(`nightshift-${sched}`).describe();
      await env.client.schedule.getHandle(`nightshift-${sched}`).delete();
      const action = described.action as { args?: { agent: unknown }[] };
      expect(action.args?.[0]?.agent).toEqual({ kind: 'claude', model: 'sonnet', maxTurns: 5, env: { MODE: 'nightly' } });
    } finally {
      worker.kill('SIGTERM');
      await exited(worker);
    }
  });

  it('a secret given with --env is refused before anything starts, saying to hand it from the worker', async () => {
    const plan = writeJson(join(tempDir('plan'), 'plan.json'), samplePlan(1));
    const label = `env-refused-${Date.now() % 1_000_000}`;
    const r = await nightshift(['start', '--plan', plan, '--repo', makeRepo(), '--label', label, '--env', 'OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz'], {
      NIGHTSHIFT_TASK_QUEUE: env.taskQueue(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--env: OPENAI_API_KEY: looks like a secret');
    expect(r.stderr).toContain('NIGHTSHIFT_AGENT_ENV_FILE');
    await expect(env.client.workflow.getHandle(`build-${label}`).describe()).rejects.toThrow(/not found/i);
  });

  it('a worker whose env file has a bad line does not start, naming the file and line', async () => {
    const envFile = join(tempDir('envfile'), 'bad.env');
    writeFileSync(envFile, 'GOOD=1\nthis is not an assignment\n');
    const worker = workerWithEnvFile(env.taskQueue(), tempDir('home'), envFile);
    await exited(worker);
    expect(worker.exitCode).toBe(2);
    expect(worker.output()).toContain(`${envFile} is not valid:`);
    expect(worker.output()).toContain('line 2: expected KEY=VALUE');
  });
});
