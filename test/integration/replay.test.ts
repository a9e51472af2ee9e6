import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { HISTORIES_DIR } from '../support/histories';

/**
 * Histories recorded from real runs (NIGHTSHIFT_RECORD_HISTORIES=1 npm test) must replay against
 * today's workflow code: a change that would break running builds fails here first.
 */
const histories = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ name: f.replace(/\.json$/, ''), history: JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8')) as unknown }));

describe('replay of recorded histories', () => {
  it('has recorded histories for the main paths', () => {
    expect(histories.map((h) => h.name)).toEqual(expect.arrayContaining(['happy-path', 'override', 'stall', 'escalation-retry', 'pause-resume', 'loop-lightweight', 'loop-hook']));
  });

  it.each(histories.map((h) => [h.name, h.history] as const))('%s replays without non-determinism', async (_name, history) => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.NIGHTSHIFT_TEST_BUNDLE as string } }, history);
  });

  it('catches a deliberately non-deterministic change', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/nondeterministic'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
    });
    const happy = histories.find((h) => h.name === 'happy-path');
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, happy?.history)).rejects.toThrow(DeterminismViolationError);
  });
});
