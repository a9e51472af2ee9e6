import { parseLoopRequest } from '../../../src/client/loops';
import { hookPrompt } from '../../../src/model/hookLoop';
import { answerIteration, iterationSummary, unrecordedIterations, validateIteration } from '../../../src/workflows/loop/hookState';
import { initialLoopState, type LoopState, toLoopStatus } from '../../../src/workflows/loop/state';

const T0 = '2026-12-04T21:00:00.000Z';
const hookLoop = (maxSessions?: number): LoopState =>
  initialLoopState(
    parseLoopRequest({ taskName: 'fix', task: 'Fix the tests', repo: '/r', mode: 'lightweight', execution: 'hook', ...(maxSessions ? { maxSessions } : {}) }),
    'loop-fix',
    T0,
  );
const stop = (lastMessage: string, promiseSeen = false) => ({ transcriptPath: '/t.jsonl', lastMessage, promiseSeen, sessionId: 's1' });

describe('a hook-mode loop’s iterations (workflow state)', () => {
  it('blocks with the prompt, counts each stop, and completes on the promise', () => {
    const s = hookLoop(5);
    const prompt = hookPrompt({ taskName: 'fix', task: 'Fix the tests', completionPromise: 'DONE' });
    expect(answerIteration(s, stop('step 1'), T0)).toEqual({ decision: 'block', iteration: 1, prompt });
    expect(answerIteration(s, stop('step 2\n\nstill going'), T0)).toEqual({ decision: 'block', iteration: 2, prompt });
    expect(s.lastOutput).toBe('still going');
    expect(answerIteration(s, stop('<promise>DONE</promise>', true), T0)).toMatchObject({ decision: 'allow', iteration: 3, status: 'completed' });
    expect(s.completion).toEqual({ by: 'promise', session: 3, verified: false });
    // A stop after the end is answered the same way and not counted.
    expect(answerIteration(s, stop('again'), T0)).toMatchObject({ decision: 'allow', iteration: 3, status: 'completed' });
    const view = toLoopStatus(s);
    expect(view.execution).toBe('hook');
    expect(view.sessions).toBe(3);
    expect(view.iterations.map((i) => i.decision)).toEqual(['block', 'block', 'allow']);
  });

  it('lets the session stop at the iteration limit', () => {
    const s = hookLoop(2);
    answerIteration(s, stop('a'), T0);
    expect(answerIteration(s, stop('b'), T0)).toMatchObject({ decision: 'allow', status: 'max-sessions-reached', iteration: 2 });
    expect(s.hook?.end?.status).toBe('max-sessions-reached');
  });

  it('hands the workflow the iterations it has not written to progress.md yet', () => {
    const s = hookLoop();
    answerIteration(s, stop('a'), T0);
    answerIteration(s, stop('b'), T0);
    expect(unrecordedIterations(s).map((i) => i.n)).toEqual([1, 2]);
    s.hook!.recorded = 1;
    expect(unrecordedIterations(s).map((i) => i.n)).toEqual([2]);
    expect(iterationSummary(unrecordedIterations(s)[0]!)).toContain('Stop 2 of the Claude Code session s1: blocked, prompt handed back.');
  });

  it('keeps the last message short in state', () => {
    const s = hookLoop();
    answerIteration(s, stop('x'.repeat(3000)), T0);
    expect(s.hook?.iterations[0]?.lastMessage.length).toBeLessThanOrEqual(501);
  });

  it('refuses stops for a loop that runs its own sessions', () => {
    const headless = initialLoopState(parseLoopRequest({ taskName: 'h', task: 't', repo: '/r' }), 'loop-h', T0);
    expect(validateIteration(headless)).toBe('loop h runs its own sessions: it was not started with --hook');
    expect(validateIteration(hookLoop())).toBeUndefined();
    expect(toLoopStatus(headless)).toMatchObject({ execution: 'headless', iterations: [] });
  });
});
