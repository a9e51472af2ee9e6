import { AGENT_ADAPTERS, AGENT_NAMES, isAgentName } from '../../../src/agents/registry';
import { MAX_KEPT_CHARS } from '../../../src/agents/parserKit';
import { context, jsonl } from './feed';

const FIVE_MB = 5 * 1024 * 1024;
const huge = (char = 'x') => char.repeat(FIVE_MB);

/** A huge payload in each agent's own format, so the JSON path is exercised, not only the text one. */
const hugeEvent: Record<string, string> = {
  claude: jsonl({ type: 'assistant', message: { content: [{ type: 'text', text: huge() }] } }),
  codex: jsonl({ type: 'item.completed', item: { type: 'agent_message', text: huge() } }),
  aider: huge(),
  gemini: JSON.stringify({ response: huge() }),
};

describe('registry', () => {
  it('names the four agent CLIs', () => {
    expect([...AGENT_NAMES].sort()).toEqual(['aider', 'claude', 'codex', 'gemini']);
    for (const name of AGENT_NAMES) expect(AGENT_ADAPTERS[name]().name).toBe(name);
    expect(isAgentName('codex')).toBe(true);
    expect(isAgentName('toString')).toBe(false);
  });

  it('builds argv as an array whose first word is the program', () => {
    for (const name of AGENT_NAMES) {
      // Every CLI gets a model: aider refuses to start without one.
      const argv = AGENT_ADAPTERS[name]().argv(context({ prompt: 'a; rm -rf / && echo "$HOME"', model: 'm' }));
      expect(argv[0]).toBe(name);
      expect(argv.every((arg) => typeof arg === 'string')).toBe(true);
    }
  });
});

describe.each(AGENT_NAMES)('%s parser robustness', (name) => {
  const parser = () => AGENT_ADAPTERS[name]().parser(context());

  it('survives garbage, truncated JSON and unexpected shapes', () => {
    const p = parser();
    const lines = [
      '',
      'plain text',
      '{',
      '{"type":"result","subtype":"success","num_turns":',
      '[1,2,3]',
      'null',
      '42',
      '{"type":42}',
      '{"type":"assistant","message":"oops"}',
      '{"type":"assistant","message":{"content":"not a list"}}',
      '{"type":"assistant","message":{"content":[null,1,{"type":"text"}]}}',
      '{"type":"result","usage":"x","num_turns":"7","permission_denials":{}}',
      '{"type":"turn.completed","usage":[1]}',
      '{"type":"item.completed","item":{"type":"command_execution","command":null}}',
      '{"type":"item.completed","item":{"type":"file_change","changes":[null,"x"]}}',
      '{"type":"turn.failed","error":"flat"}',
      '{"response":null,"stats":{"models":{"m":null}},"error":"flat"}',
      'Tokens: lots sent, many received.',
      '\u0000\u001b[31m\ud800',
    ];
    for (const line of lines) {
      expect(() => p.line(line, 'stdout')).not.toThrow();
      expect(() => p.line(line, 'stderr')).not.toThrow();
    }
    const parsed = p.result();
    expect(parsed.promiseSeen).toBe(false);
    expect(parsed.devNotes).toEqual([]);
  });

  it('caps what it keeps from a 5 MB plain line', () => {
    const p = parser();
    p.line(`DEVNOTE discovery: ${huge('y')}`, 'stdout');
    p.line(huge(), 'stdout');
    const parsed = p.result();
    expect(parsed.lastLine?.length).toBeLessThanOrEqual(MAX_KEPT_CHARS + 1);
    expect(parsed.lastLine?.startsWith('xxxx')).toBe(true);
    for (const note of parsed.devNotes) expect(note.content.length).toBeLessThanOrEqual(MAX_KEPT_CHARS + 1);
  });

  it('reads a 5 MB event in its own format, keeping a capped slice', () => {
    const start = Date.now();
    const p = parser();
    p.line(hugeEvent[name] as string, 'stdout');
    p.line(`${huge('z')}<promise>COMPLETE</promise>`, 'stdout');
    const parsed = p.result();
    expect(parsed.lastLine?.length).toBeLessThanOrEqual(MAX_KEPT_CHARS + 1);
    // The tag sits past the cap; it is still seen.
    expect(parsed.promiseSeen).toBe(true);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('stops keeping DevNotes from a runaway loop', () => {
    const p = parser();
    for (let i = 0; i < 2000; i++) p.line(`DEVNOTE decision: note ${i}`, 'stdout');
    expect(p.result().devNotes.length).toBeLessThanOrEqual(500);
    expect(p.result().devNotes[0]).toEqual({ category: 'decision', content: 'note 0' });
  });
});
