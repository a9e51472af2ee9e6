import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedLoops, installStopHook } from '../../../src/hooks/settings';
import { readHookState, writeHookState } from '../../../src/hooks/stateFile';
import { LoopGone, type LoopRemote, runStopHook } from '../../../src/hooks/stopHook';
import type { HookState, StopAnswer } from '../../../src/model/hookLoop';
import type { Iteration } from '../../../src/model/payloads';

const THEIRS = { permissions: { allow: ['Bash(ls)'] } };

function setUp(): { repo: string; args: { taskName: string; repo: string; address: string; namespace: string } } {
  const repo = mkdtempSync(join(tmpdir(), 'ns-hook-'));
  mkdirSync(join(repo, '.claude'));
  writeFileSync(join(repo, '.claude', 'settings.local.json'), JSON.stringify(THEIRS));
  const args = { taskName: 't', repo, address: '127.0.0.1:7233', namespace: 'default' };
  const state: HookState = { taskName: 't', workflowId: 'loop-t', task: 'x', prompt: 'PROMPT', completionPromise: 'DONE', maxIterations: 5, iterations: 0, temporal: { address: args.address, namespace: 'default' }, startedAt: 'now' };
  writeHookState(repo, state);
  installStopHook({ script: '/x/stopHook.js', ...args });
  return { repo, args };
}

const settings = (repo: string) => JSON.parse(readFileSync(join(repo, '.claude', 'settings.local.json'), 'utf8')) as Record<string, unknown>;
const input = (last: string) => ({ session_id: 's1', transcript_path: '/t.jsonl', stop_hook_active: false, last_assistant_message: last });

function remote(answer: (p: Iteration) => Promise<StopAnswer>): LoopRemote & { sent: Iteration[]; cancelled: string[] } {
  const sent: Iteration[] = [];
  const cancelled: string[] = [];
  return {
    sent,
    cancelled,
    iteration: (_id, p) => (sent.push(p), answer(p)),
    cancel: async (id) => void cancelled.push(id),
  };
}

describe('the Stop hook', () => {
  it('hands the workflow’s block back to Claude Code and keeps its count', async () => {
    const { repo, args } = setUp();
    const r = remote(async () => ({ decision: 'block', iteration: 4, prompt: 'PROMPT' }));
    const result = await runStopHook(args, input('working'), r, 1000);
    expect(result.output).toEqual({ decision: 'block', reason: 'PROMPT' });
    expect(r.sent).toEqual([{ sessionId: 's1', transcriptPath: '/t.jsonl', lastMessage: 'working', promiseSeen: false, stopHookActive: false }]);
    const state = readHookState(repo);
    expect(state.kind === 'ok' && state.state.iterations).toBe(4);
  });

  it('sees the promise, and on the workflow’s allow removes its hook and state', async () => {
    const { repo, args } = setUp();
    const r = remote(async () => ({ decision: 'allow', iteration: 2, status: 'completed', reason: 'iteration 2: completion promise' }));
    const result = await runStopHook(args, input('done\n<promise>DONE</promise>'), r, 1000);
    expect(r.sent[0]?.promiseSeen).toBe(true);
    expect(result.output).toEqual({ systemMessage: expect.stringContaining('completed') });
    expect(settings(repo)).toEqual(THEIRS);
    expect(existsSync(join(repo, '.claude', 'nightshift-loop.local.json'))).toBe(false);
  });

  it('lets the session stop when the loop is no longer running', async () => {
    const { repo, args } = setUp();
    const result = await runStopHook(args, input('x'), remote(async () => Promise.reject(new LoopGone('workflow execution already completed'))), 1000);
    expect(result.output.decision).toBeUndefined();
    expect(result.message).toContain('is no longer running');
    expect(settings(repo)).toEqual(THEIRS);
  });

  it('decides by the local rule when the workflow does not answer within the budget', async () => {
    const { repo, args } = setUp();
    const result = await runStopHook(args, input('x'), remote(() => new Promise(() => undefined)), 50);
    expect(result.output).toEqual({ decision: 'block', reason: 'PROMPT' });
    expect(result.message).toContain('(no answer within 0.05 s; server unreachable or no worker); local rule: iteration 1 of 5');
    expect(installedLoops(settings(repo))).toEqual(['t']);
  });

  it('cancels the loop when its state file is gone, and removes itself', async () => {
    const { repo, args } = setUp();
    rmSync(join(repo, '.claude', 'nightshift-loop.local.json'));
    const r = remote(async () => {
      throw new Error('not asked');
    });
    const result = await runStopHook(args, input('x'), r, 1000);
    expect(r.cancelled).toEqual(['loop-t']);
    expect(r.sent).toEqual([]);
    expect(result.output).toEqual({ systemMessage: expect.stringContaining('loop t cancelled') });
    expect(settings(repo)).toEqual(THEIRS);
  });

  it('sends only the end of a long last message, where the promise is', async () => {
    const { args } = setUp();
    const r = remote(async () => ({ decision: 'block', iteration: 1, prompt: 'PROMPT' }));
    await runStopHook(args, input(`${'x'.repeat(10_000)}\n<promise>DONE</promise>`), r, 1000);
    expect(r.sent[0]?.lastMessage.length).toBe(4000);
    expect(r.sent[0]?.promiseSeen).toBe(true);
  });
});
