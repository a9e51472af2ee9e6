import {
  allTicked,
  checkboxItems,
  containsPromise,
  countCheckboxes,
  initialTaskList,
  nextOpenItem,
  progressEntry,
} from '../../../src/model/taskList';

describe('countCheckboxes', () => {
  it('counts dash, star, plus and numbered items, ticked with x or X', () => {
    const md = [
      '- [ ] a',
      '- [x] b',
      '- [X] c',
      '* [ ] d',
      '+ [x] e',
      '1. [ ] f',
      '2) [x] g',
      '10. [X] h',
    ].join('\n');
    expect(countCheckboxes(md)).toEqual({ done: 5, open: 3, total: 8 });
  });

  it('counts nested items at any indentation', () => {
    expect(countCheckboxes('- [x] phase\n  - [ ] step\n    - [x] sub\n\t- [ ] tabbed')).toEqual({
      done: 2,
      open: 2,
      total: 4,
    });
  });

  it('ignores checkboxes inside fenced code blocks (``` and ~~~)', () => {
    const md = [
      '- [x] real',
      '```markdown',
      '- [ ] example in a code block',
      '```',
      '~~~',
      '- [ ] another example',
      '```',
      '- [ ] still inside the ~~~ block',
      '~~~',
      '- [ ] real open',
    ].join('\n');
    expect(countCheckboxes(md)).toEqual({ done: 1, open: 1, total: 2 });
  });

  it('ignores everything after an unclosed fence', () => {
    expect(countCheckboxes('- [x] a\n```\n- [ ] b')).toEqual({ done: 1, open: 0, total: 1 });
  });

  it('does not close a ```` fence with ```', () => {
    expect(countCheckboxes('````\n```\n- [ ] inside\n````\n- [ ] outside')).toEqual({
      done: 0,
      open: 1,
      total: 1,
    });
  });

  it.each([
    ['text with [ ] in the middle', 0],
    ['-[ ] no space after the dash', 0],
    ['- [x]no space after the box', 0],
    ['- [-] cancelled', 0],
    ['- [ ]', 1],
    ['`- [ ] inline code`', 0],
    ['- [] empty brackets', 0],
    ['> - [ ] quoted', 0],
  ])('%j counts %d', (line, total) => {
    expect(countCheckboxes(line).total).toBe(total);
  });

  it('handles CRLF line endings', () => {
    expect(countCheckboxes('- [x] a\r\n- [ ] b\r\n')).toEqual({ done: 1, open: 1, total: 2 });
  });

  it('reports line numbers and text', () => {
    expect(checkboxItems('# T\n\n- [ ] first  \n- [x] second')).toEqual([
      { done: false, text: 'first', line: 3 },
      { done: true, text: 'second', line: 4 },
    ]);
  });
});

describe('allTicked and nextOpenItem', () => {
  it('is false for a list with no boxes at all', () => {
    expect(allTicked('')).toBe(false);
    expect(allTicked('# Task list\n\nNothing here yet.')).toBe(false);
  });

  it('is true only when every box is ticked', () => {
    expect(allTicked('- [x] a\n- [X] b')).toBe(true);
    expect(allTicked('- [x] a\n- [ ] b')).toBe(false);
  });

  it('is false when the only boxes are inside code blocks', () => {
    expect(allTicked('```\n- [x] a\n```')).toBe(false);
  });

  it('finds the first open item, skipping code blocks', () => {
    expect(nextOpenItem('- [x] a\n```\n- [ ] example\n```\n- [ ] b\n- [ ] c')).toBe('b');
    expect(nextOpenItem('- [x] a')).toBeNull();
  });
});

describe('initialTaskList', () => {
  const list = initialTaskList('Build a REST API for the todo app', [
    'CRUD endpoints for todos',
    'Tests pass with npm test',
  ]);

  it('starts with the completion criteria, unticked', () => {
    expect(checkboxItems(list).slice(0, 2)).toMatchObject([
      { done: false, text: 'CRUD endpoints for todos' },
      { done: false, text: 'Tests pass with npm test' },
    ]);
    expect(nextOpenItem(list)).toBe('CRUD endpoints for todos');
    expect(allTicked(list)).toBe(false);
  });

  it('is phased and titled with the task', () => {
    expect(list.startsWith('# Task List: Build a REST API for the todo app\n')).toBe(true);
    expect(list).toContain('## Phase 1: Completion criteria');
    expect(list).toContain('## Phase 2: Work');
    expect(list).toContain('## Phase 3: Verification');
    expect(countCheckboxes(list)).toEqual({ done: 0, open: 4, total: 4 });
  });

  it('is complete once every item is ticked', () => {
    expect(allTicked(list.replace(/\[ \]/g, '[x]'))).toBe(true);
  });

  it('uses the task itself as the goal when there are no criteria', () => {
    const bare = initialTaskList('Fix all failing tests in src/', ['  ']);
    expect(nextOpenItem(bare)).toBe('Fix all failing tests in src/');
  });

  it('keeps a multi-line task in full and puts each criterion on one line', () => {
    const md = initialTaskList('Refactor the queue\n\nKeep the public API.', ['Tests\npass']);
    expect(md.split('\n')[0]).toBe('# Task List: Refactor the queue');
    expect(md).toContain('Refactor the queue\n\nKeep the public API.');
    expect(nextOpenItem(md)).toBe('Tests pass');
  });
});

describe('progressEntry', () => {
  it('writes one session of progress.md', () => {
    expect(
      progressEntry({
        session: 3,
        at: new Date('2026-02-06T15:04:05Z'),
        summary: 'Added the CRUD endpoints.\nTests pass.\n',
        mode: 'structured',
        counts: { done: 2, open: 2, total: 4 },
      }),
    ).toBe(
      [
        '## Session 3 — 2026-02-06T15:04:05.000Z',
        '',
        '- Mode: structured',
        '- Log: sessions/session-003.log',
        '- Tasks: 2/4 done',
        '',
        'Added the CRUD endpoints.',
        'Tests pass.',
        '',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is no summary, and leaves out counts in lightweight mode', () => {
    const text = progressEntry({
      session: 12,
      at: new Date('2026-02-06T00:00:00Z'),
      summary: ' ',
      mode: 'lightweight',
    });
    expect(text).toContain('- Log: sessions/session-012.log');
    expect(text).not.toContain('Tasks:');
    expect(text).toContain('(no summary)');
  });
});

describe('containsPromise', () => {
  it.each([
    ['All done. <promise>DONE</promise>', true],
    ['<promise> DONE </promise>', true],
    ['<promise>\n  DONE\n</promise>', true],
    ['<promise>NOT DONE</promise>', false],
    ['<promise>done</promise>', false],
    ['<Promise>DONE</Promise>', false],
    ['<promise>DONE', false],
    ['DONE', false],
    ['I will print `<promise>DONE</promise>` when finished.', false],
    ['```\n<promise>DONE</promise>\n```', false],
    ['<promise>WAIT</promise> then later <promise>DONE</promise>', true],
  ])('%j: %s', (text, expected) => {
    expect(containsPromise(text)).toBe(expected);
  });

  it('takes a custom promise, comparing whitespace loosely', () => {
    expect(containsPromise('<promise>ALL TESTS\n  PASS</promise>', 'ALL TESTS PASS')).toBe(true);
    expect(containsPromise('<promise>DONE</promise>', 'ALL TESTS PASS')).toBe(false);
  });

  it('never matches an empty promise', () => {
    expect(containsPromise('<promise></promise>', '')).toBe(false);
  });
});
