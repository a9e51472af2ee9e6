import { parseBuildLogEntries, renderBuildLogEntry } from '../../../src/model/buildLog';

const input = {
  at: new Date('2026-02-06T20:45:00Z'),
  timeZone: 'America/Chicago',
  title: 'Queue admission',
  whatIBuilt: 'A pure admission decision for the build queue.\n- priority order\n- off-hours window',
  keyInsights: 'Compute the next window start from local dates, not by adding 24 hours.',
  git: 'Committed: abc1234 "queue: admission"',
};

describe('renderBuildLogEntry', () => {
  it("writes seed 000's format exactly, with HH:MM in the given zone and an em dash", () => {
    expect(renderBuildLogEntry(input)).toBe(
      [
        '## Build Session: 14:45 — Queue admission',
        '### What I Built',
        'A pure admission decision for the build queue.',
        '- priority order',
        '- off-hours window',
        '### Key Insights',
        'Compute the next window start from local dates, not by adding 24 hours.',
        '### Git',
        'Committed: abc1234 "queue: admission"',
        '',
      ].join('\n'),
    );
  });

  it('pads the hour and uses a 24-hour clock', () => {
    expect(renderBuildLogEntry({ ...input, at: new Date('2026-02-06T00:05:00Z'), timeZone: 'UTC' })).toMatch(
      /^## Build Session: 00:05 — /,
    );
    expect(renderBuildLogEntry({ ...input, at: new Date('2026-02-06T23:59:00Z'), timeZone: 'UTC' })).toMatch(
      /^## Build Session: 23:59 — /,
    );
  });

  it('keeps the title on one line and marks empty sections', () => {
    const text = renderBuildLogEntry({ ...input, title: 'Two\nlines', keyInsights: '  ' });
    expect(text.split('\n')[0]).toBe('## Build Session: 14:45 — Two lines');
    expect(text).toContain('### Key Insights\n(none)\n### Git');
  });
});

describe('parseBuildLogEntries', () => {
  it('reads back what it rendered', () => {
    const [entry] = parseBuildLogEntries(renderBuildLogEntry(input));
    expect(entry).toEqual({
      time: '14:45',
      title: 'Queue admission',
      whatIBuilt: input.whatIBuilt,
      keyInsights: input.keyInsights,
      git: input.git,
      line: 1,
    });
  });

  it('finds every entry in a memory file among other notes', () => {
    const memory = [
      '# 2026-02-06',
      '',
      'Morning notes, not an entry.',
      '',
      renderBuildLogEntry({ ...input, at: new Date('2026-02-06T15:00:00Z'), title: 'First' }),
      '## Unrelated heading',
      'Not part of the first entry.',
      '',
      renderBuildLogEntry({
        ...input,
        at: new Date('2026-02-06T16:00:00Z'),
        title: 'Second',
        keyInsights: '',
      }),
    ].join('\n');
    const entries = parseBuildLogEntries(memory);
    expect(entries.map((e) => [e.time, e.title, e.line])).toEqual([
      ['09:00', 'First', 5],
      ['10:00', 'Second', 18],
    ]);
    expect(entries[0]?.git).toBe(input.git);
    expect(entries[1]?.keyInsights).toBe('');
  });

  it("accepts hand-written entries: hyphens, [Title] from the seed's template, missing sections", () => {
    const md =
      '## Build Session: 9:30 - [Fix login]\n### What I Built\nFixed it.\n\n## Build Session: 10:00 – Docs\n### Git\nPushed.';
    expect(parseBuildLogEntries(md)).toEqual([
      { time: '09:30', title: 'Fix login', whatIBuilt: 'Fixed it.', keyInsights: '', git: '', line: 1 },
      { time: '10:00', title: 'Docs', whatIBuilt: '', keyInsights: '', git: 'Pushed.', line: 5 },
    ]);
  });

  it('escapes lines that look like its own headings so they survive a round trip', () => {
    const tricky = {
      ...input,
      whatIBuilt: 'Wrote a parser for:\n## Build Session: 01:00 — fake\n### Git\nlines',
    };
    const text = renderBuildLogEntry(tricky);
    const entries = parseBuildLogEntries(text);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.whatIBuilt).toBe(tricky.whatIBuilt);
    expect(entries[0]?.git).toBe(input.git);
  });
});
