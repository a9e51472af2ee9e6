import { parseBuildRequest, startBuild } from '../../src/client/builds';
import { createNightshiftWorker } from '../../src/worker/createWorker';
import { statusQuery } from '../../src/workflows/build/messages';
import { AIDER_TEST_MODEL, aiderAgentEnv, aiderBin, aiderHome } from '../support/aiderHome';
import { untilStatus } from '../support/builds';
import { OpenAIChatEndpoint, type RecordedRequest, wholeFile } from '../support/endpoints/openaiChat';
import { makeRepo, tempDir } from '../support/repo';
import { TestEnv } from '../support/temporal';

/**
 * The real aider and a rate limit, on the real dev server. Aider retries a 429 by itself for about a
 * minute (0.2 s doubling to 32 s, each try with the OpenAI SDK's own two retries) and then exits 0;
 * that minute is why this test has a file of its own (agents-aider.test.ts has the rest).
 */

const KEY = 'scripted-openai-key-for-tests';

let env: TestEnv;
let api: OpenAIChatEndpoint | undefined;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  await api?.close();
  await env.close();
});

describe('the real aider, rate-limited', () => {
  it('a rate limit aider gave up on (after its own minute of retries) parks the build until "Please try again in 5s", without spending an attempt', async () => {
    const endpoint = await OpenAIChatEndpoint.start(() => ({ fail: 429, retryAfterSeconds: 5, clientRetryMs: 10 }), { apiKey: KEY });
    api = endpoint;
    const taskQueue = env.taskQueue();
    const worker = await createNightshiftWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      home: tempDir('home'),
      taskQueue,
      workflowBundle: { codePath: process.env.NIGHTSHIFT_TEST_BUNDLE as string },
      agentEnv: { OPENAI_API_KEY: KEY },
    });
    const request = parseBuildRequest({
      label: `aider-limit-${process.pid}-${Date.now() % 100000}`,
      repo: makeRepo(),
      plan: {
        title: 'Aider and a rate limit',
        checkpoints: [{ id: 1, title: 'After the limit', goal: 'After the limit', task_groups: [{ id: '1.1', title: 'Write done.txt', tasks: [{ id: '1.1.1', description: 'Write done.txt' }] }], testing_strategy: { verification_steps: ['test -f done.txt'] } }],
      },
      agent: { kind: 'aider', bin: aiderBin(), model: AIDER_TEST_MODEL, env: aiderAgentEnv(aiderHome(), endpoint.baseUrl) },
      policy: { maxAttempts: 3, retryInterval: '1s' },
    });
    await worker.runUntil(async () => {
      const handle = await startBuild(env.client, request, { taskQueue });
      const parked = await untilStatus(handle, (v) => v.status === 'rate-limited', 'aider to give up and the build to park', 110_000);
      const limitedRequests = endpoint.requests.length;
      endpoint.setScript(() => ({ text: `${wholeFile('done.txt', 'done')}\n\ndone after the limit` }));
      expect(parked.reason).toBe('rate-limited');
      expect(parked.checkpoints[0]?.taskGroups[0]?.attempts).toBe(0);
      expect((await handle.result()).status).toBe('completed');
      expect((await handle.query(statusQuery)).attempts.map((a) => a.outcome)).toEqual(['rate-limited']);
      // It waited for the reset aider reported (5 s after its last try), not the 1 s retry interval.
      const last = endpoint.requests[limitedRequests - 1] as RecordedRequest;
      const next = endpoint.requests[limitedRequests] as RecordedRequest;
      expect(next.at - last.at).toBeGreaterThanOrEqual(4500);
    });
  }, 150_000);
});
