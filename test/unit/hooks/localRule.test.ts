import { localDecision, localRuleMessage } from '../../../src/hooks/localRule';
import { decideStop, hookOutput, type HookState, promiseIn } from '../../../src/model/hookLoop';

const state = (over: Partial<HookState> = {}): HookState => ({
  taskName: 'fix-tests',
  workflowId: 'loop-fix-tests',
  task: 'Fix the tests',
  prompt: 'PROMPT',
  completionPromise: 'DONE',
  maxIterations: 3,
  iterations: 0,
  temporal: { address: '127.0.0.1:1', namespace: 'default' },
  startedAt: '2026-12-04T21:00:00Z',
  ...over,
});

describe('the completion promise', () => {
  it.each([
    ['All done.\n<promise>DONE</promise>', 'DONE', true],
    ['<promise> DONE </promise>', 'DONE', true],
    ['<promise>DONE</promise>', 'SHIPPED', false],
    ['I will print <promise> when done', 'DONE', false],
    ['DONE', 'DONE', false],
    ['', 'DONE', false],
    ['<promise>ALL TESTS PASS</promise>', 'ALL TESTS PASS', true],
    ['I must not print `<promise>DONE</promise>` yet', 'DONE', false],
  ])('%j with promise %s: %s', (message, promise, seen) => {
    expect(promiseIn(message, promise)).toBe(seen);
  });
});

describe('the stop rule', () => {
  it('blocks and hands the prompt back until the promise or the limit', () => {
    expect(decideStop({ iteration: 1, maxIterations: 3, promiseSeen: false, prompt: 'P' })).toEqual({ decision: 'block', iteration: 1, prompt: 'P' });
    expect(decideStop({ iteration: 2, maxIterations: null, promiseSeen: true, prompt: 'P' })).toMatchObject({ decision: 'allow', status: 'completed' });
    expect(decideStop({ iteration: 3, maxIterations: 3, promiseSeen: false, prompt: 'P' })).toMatchObject({ decision: 'allow', status: 'max-sessions-reached' });
    // The promise on the last allowed iteration counts as completion.
    expect(decideStop({ iteration: 3, maxIterations: 3, promiseSeen: true, prompt: 'P' })).toMatchObject({ status: 'completed' });
    expect(decideStop({ iteration: 500, maxIterations: null, promiseSeen: false, prompt: 'P' }).decision).toBe('block');
  });

  it('speaks Claude Code’s Stop hook output', () => {
    expect(hookOutput({ decision: 'block', iteration: 1, prompt: 'P' })).toEqual({ decision: 'block', reason: 'P' });
    expect(hookOutput({ decision: 'allow', iteration: 2, status: 'completed', reason: 'r' })).toEqual({});
    expect(hookOutput({ decision: 'allow', iteration: 2, status: 'completed', reason: 'r' }, 'said')).toEqual({ systemMessage: 'said' });
  });
});

describe('the local rule (Temporal unreachable)', () => {
  it('counts the stop in the state file and decides by the same rule', () => {
    const first = localDecision(state(), false);
    expect(first.answer).toEqual({ decision: 'block', iteration: 1, prompt: 'PROMPT' });
    expect(first.next.iterations).toBe(1);
    const third = localDecision(state({ iterations: 2 }), false);
    expect(third.answer).toMatchObject({ decision: 'allow', status: 'max-sessions-reached', iteration: 3 });
    expect(localDecision(state({ iterations: 0 }), true).answer).toMatchObject({ decision: 'allow', status: 'completed' });
    expect(localDecision(state({ maxIterations: null, iterations: 99 }), false).answer.decision).toBe('block');
  });

  it('says that it decided alone, where the server was, and what to do after', () => {
    const blocked = localDecision(state(), false).answer;
    expect(localRuleMessage(state(), blocked, 'no answer within 5 s')).toBe(
      'nightshift: no answer from loop fix-tests through Temporal at 127.0.0.1:1 (no answer within 5 s; server unreachable or no worker); local rule: iteration 1 of 3, promise not seen: the prompt is handed back',
    );
    const done = localDecision(state(), true).answer;
    expect(localRuleMessage(state(), done, 'x')).toContain('completion promise seen: the session may stop; the hook is removed');
    expect(localRuleMessage(state(), done, 'x')).toContain('nightshift loop --cancel fix-tests');
  });
});
