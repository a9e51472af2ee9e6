import { scriptedParser } from '../../../src/agents/scripted';
import { SCRIPTED_FAILURE } from '../../../src/agents/scripted/scenario';

const NOW = Date.parse('2026-12-02T18:00:00.000Z');

function parse(lines: string[]) {
  const p = scriptedParser('DONE', () => NOW);
  for (const l of lines) p.line(l, 'stdout');
  return p.result();
}

describe('the scripted agent parser', () => {
  it('reads plain output as text: no failure class', () => {
    const r = parse(['working', 'DEVNOTE decision: kept it', '<promise>DONE</promise>']);
    expect(r).toMatchObject({ failureClass: null, isError: false, promiseSeen: true, lastLine: '<promise>DONE</promise>' });
    expect(r.devNotes).toEqual([{ category: 'decision', content: 'kept it' }]);
  });

  it('reads a fail line as the agent reporting its failure class and the fix', () => {
    const r = parse(['starting', `${SCRIPTED_FAILURE}${JSON.stringify({ class: 'auth', message: 'not logged in: run `claude /login`' })}`]);
    expect(r).toMatchObject({ isError: true, failureClass: 'auth', failureMessage: 'not logged in: run `claude /login`', lastLine: 'not logged in: run `claude /login`', resetAt: null, sessionGone: false });
  });

  it('turns resetInSeconds into a reset time and passes sessionGone', () => {
    expect(parse([`${SCRIPTED_FAILURE}${JSON.stringify({ class: 'rate-limited', message: 'limit', resetInSeconds: 90 })}`]).resetAt).toBe('2026-12-02T18:01:30.000Z');
    expect(parse([`${SCRIPTED_FAILURE}${JSON.stringify({ class: 'transient', message: 'gone', sessionGone: true })}`]).sessionGone).toBe(true);
  });

  it('a malformed fail line is only text', () => {
    expect(parse([`${SCRIPTED_FAILURE}{not json`])).toMatchObject({ failureClass: null, lastLine: `${SCRIPTED_FAILURE}{not json` });
    expect(parse([`${SCRIPTED_FAILURE}${JSON.stringify({ class: 'nope', message: 'x' })}`]).failureClass).toBeNull();
  });
});
