import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideAdmission } from '../../../src/model/admission';
import {
  type BuildQueueView,
  type BuildQueueViewEntry,
  parseBuildQueueMd,
  renderBuildQueueMd,
} from '../../../src/model/buildQueueMd';
import { InvalidInputError } from '../../../src/model/errors';
import { blockingReasons, checkEntry, requirementProblems } from '../../../src/model/safety';

const fixture = readFileSync(join(__dirname, '../../fixtures/seed/BUILD_QUEUE.md'), 'utf8');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('parseBuildQueueMd on the seed format', () => {
  const parsed = parseBuildQueueMd(fixture);
  const byName = (name: string) => parsed.entries.find((e) => e.name === name);

  it('reads the open entries of the Active Queue, in file order, without problems', () => {
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries.map((e) => [e.name, e.label, e.priority])).toEqual([
      ['Spotify Playlist Automation', 'spotify-playlist-automation', 'high'],
      ['Workout Playlist Feature', 'workout-playlist-feature', 'medium'],
      ['Calendar Sync', 'calendar-sync', 'medium'],
      ['Spotify Thing', 'spotify-thing', 'low'],
      ['Reading List Digest', 'reading-list-digest', 'low'],
    ]);
  });

  it('gives the line number of each entry and of its details', () => {
    const spotify = byName('Spotify Playlist Automation');
    expect(spotify?.line).toBe(lineOf(fixture, '- [ ] Spotify Playlist Automation'));
    expect(spotify?.detailsLine).toBe(lineOf(fixture, '### Spotify Playlist Automation'));
  });

  it('reads "Added:" times in UTC unless told the zone', () => {
    expect(byName('Spotify Playlist Automation')?.addedAt).toBe('2026-02-06T15:00:00.000Z');
    const chicago = parseBuildQueueMd(fixture, { timeZone: 'America/Chicago' });
    expect(chicago.entries[0]?.addedAt).toBe('2026-02-06T21:00:00.000Z');
  });

  it("reads the good example's details", () => {
    expect(byName('Spotify Playlist Automation')).toMatchObject({
      description: expect.stringMatching(/^Build OAuth integration with Spotify API\. .* mood categories\.$/),
      criteria: [
        'OAuth flow working',
        "Can fetch user's liked songs",
        'Playlist generation logic complete',
        'Runs via cron weekly',
      ],
      tech: 'Python, Spotipy library, OAuth2',
      estimate: '4 hours',
      blockers: [],
      approved: false,
      risky: false,
    });
  });

  it('reads "Blockers: None" as no blockers and anything else as open blockers', () => {
    expect(byName('Workout Playlist Feature')?.blockers).toEqual([]);
    expect(byName('Calendar Sync')?.blockers).toEqual(['Waiting for Google API credentials from Ross']);
  });

  it("reads the bad example's inline criterion as it stands", () => {
    expect(byName('Spotify Thing')).toMatchObject({
      description: 'Do Spotify stuff',
      criteria: ['When it works'],
      tech: 'Whatever',
      estimate: 'IDK',
    });
  });

  it('keeps an entry without a details section, with nothing in it', () => {
    const digest = byName('Reading List Digest');
    expect(digest).toMatchObject({ description: '', criteria: [], blockers: [] });
    expect(digest?.detailsLine).toBeUndefined();
  });

  it('reports ticked queue lines and the Completed section as completed, with line numbers', () => {
    expect(parsed.completed).toEqual([
      { name: 'Autonomous Build System', line: lineOf(fixture, '- [x] Autonomous Build System - Added') },
      { name: 'Autonomous Build System', line: lineOf(fixture, '- [x] Autonomous Build System - Completed') },
      { name: 'Morning Briefing Script', line: lineOf(fixture, 'Morning Briefing Script') },
    ]);
  });

  it('ignores the template in the HTML comment', () => {
    expect(parsed.entries.some((e) => e.name === 'Task Name')).toBe(false);
  });

  it('feeds the safety checks: the vague and the detail-less entries are refused, the blocked one waits', () => {
    const check = (name: string) => {
      const e = byName(name);
      if (!e) throw new Error(name);
      return e;
    };
    expect(checkEntry(check('Spotify Playlist Automation'))).toEqual([]);
    expect(checkEntry(check('Workout Playlist Feature'))).toEqual([]);
    expect(requirementProblems(check('Spotify Thing'))).toHaveLength(4);
    expect(requirementProblems(check('Reading List Digest')).join('\n')).toMatch(
      /no description[\s\S]*no completion criteria/,
    );
    expect(requirementProblems(check('Calendar Sync'))).toEqual([]);
    expect(blockingReasons(check('Calendar Sync'))).toHaveLength(1);
  });

  it('feeds admission: at 23:00 CST the high entry starts and the rest wait for a reason', () => {
    const queued = parseBuildQueueMd(fixture, { timeZone: 'America/Chicago' }).entries.map((e) => ({
      ...e,
      addedAt: e.addedAt ?? '',
    }));
    const d = decideAdmission({
      queued,
      active: 0,
      now: new Date('2026-02-07T05:00:00Z'),
      policy: { concurrency: 2, timeZone: 'America/Chicago' },
    });
    expect(d.start).toEqual(['spotify-playlist-automation', 'workout-playlist-feature']);
    expect(d.waiting.map((w) => [w.label, w.reasons.map((r) => r.code)])).toEqual([
      // Older than the workout entry, so it was looked at while a slot was still free.
      ['calendar-sync', ['blocker']],
      ['reading-list-digest', ['approval', 'approval', 'concurrency']],
      ['spotify-thing', ['approval', 'approval', 'concurrency']],
    ]);
  });
});

describe('parseBuildQueueMd tolerance and problems', () => {
  it('tolerates extra whitespace, other list markers, emoji and mojibake in headings and priorities', () => {
    const md = [
      '#   Queue',
      '##   🚀  Active   Queue  ',
      '',
      '*   [ ]   Alpha Tool   -   Added:   2026-02-06 15:00   -   Priority:   🔴 HIGH  ',
      '1. [ ] Beta - Added: 2026-02-06T10:00:00Z - Priority: Med',
      '+ [ ] Gamma - Added: 2026-02-06 09:00 -06:00 - Priority: ðŸŸ¢ low',
      '',
      '## ðŸ“ Task   Details',
      '###   Alpha Tool  ',
      '* **Description**: Build a tool that renames photo files by their EXIF capture date.',
      '  It keeps the originals in a backup folder.',
      '- **Completion Criteria:**',
      '- [ ] Files renamed by date',
      '- [x] Originals kept',
      '- **Blockers:**',
      '  - [x] Camera samples (resolved)',
      '  - [ ] Decision on the naming scheme',
      '- Tech Stack: Python, Pillow',
      '- **Estimated Time:** N/A',
      '- **Approved:** yes',
      '- **Risk:** Renames files in place',
    ].join('\n');
    const parsed = parseBuildQueueMd(md);
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries.map((e) => [e.name, e.priority, e.addedAt])).toEqual([
      ['Alpha Tool', 'high', '2026-02-06T15:00:00.000Z'],
      ['Beta', 'medium', '2026-02-06T10:00:00.000Z'],
      ['Gamma', 'low', '2026-02-06T15:00:00.000Z'],
    ]);
    const alpha = parsed.entries[0];
    expect(alpha).toMatchObject({
      description:
        'Build a tool that renames photo files by their EXIF capture date.\nIt keeps the originals in a backup folder.',
      criteria: ['Files renamed by date', 'Originals kept'],
      blockers: ['Decision on the naming scheme'],
      tech: 'Python, Pillow',
      approved: true,
      risky: true,
    });
    expect(alpha?.estimate).toBeUndefined();
  });

  it('names the line of every problem and keeps what it can read', () => {
    const md = [
      '## Active Queue', // 1
      '- [ ] No Priority - Added: 2026-02-06 15:00', // 2
      '- [ ] Odd Priority - Added: 2026-02-06 15:00 - Priority: Urgent', // 3
      '- [ ] Bad Date - Added: 2026-02-31 15:00 - Priority: High', // 4
      '- [ ] No Date - Priority: High', // 5
      'Just some text', // 6
      '- [ ] no priority - Added: 2026-02-07 10:00 - Priority: High', // 7 (duplicate of line 2 by label)
      '## Task Details', // 8
      '### Ghost Task', // 9
      '- **Description:** details without a queue line', // 10
      'stray text', // 11
      '### Bad Date', // 12
      'stray text under a heading', // 13
      '### Bad Date', // 14
      '- **Description:** second one', // 15
    ].join('\n');
    const parsed = parseBuildQueueMd(md);
    expect(parsed.entries.map((e) => [e.name, e.priority, e.addedAt])).toEqual([
      ['No Priority', 'low', '2026-02-06T15:00:00.000Z'],
      ['Odd Priority', 'low', '2026-02-06T15:00:00.000Z'],
      ['Bad Date', 'high', undefined],
      ['No Date', 'high', undefined],
    ]);
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7, 13, 9, 14]);
    const message = (line: number) => parsed.problems.find((p) => p.line === line)?.message;
    expect(message(2)).toMatch(/"No Priority" has no priority: add " - Priority: High".*read as Low/);
    expect(message(3)).toMatch(/priority "Urgent": expected High, Medium or Low/);
    expect(message(4)).toMatch(/unreadable date "Added: 2026-02-31 15:00"/);
    expect(message(5)).toMatch(/no "Added:" date/);
    expect(message(6)).toMatch(
      /expected a queue line like "- \[ \] Name - Added: 2026-02-06 15:00 - Priority: High", got "Just some text"/,
    );
    expect(message(7)).toMatch(/already in the queue on line 2/);
    expect(message(9)).toMatch(/details for "Ghost Task", which is not in the Active Queue/);
    expect(message(13)).toMatch(
      /expected a detail like "- \*\*Description:\*\* \.\.\." under "### Bad Date"/,
    );
    expect(message(14)).toMatch(/second details section for "Bad Date" \(the first is on line 12\)/);
  });

  it('skips fenced code blocks and reports one that is never closed', () => {
    const md = [
      '## Active Queue',
      '```',
      '- [ ] Example - Added: 2026-02-06 15:00 - Priority: High',
      '```',
      '- [ ] Real - Added: 2026-02-06 15:00 - Priority: High',
      '```',
    ].join('\n');
    const parsed = parseBuildQueueMd(md);
    expect(parsed.entries.map((e) => e.name)).toEqual(['Real']);
    expect(parsed.problems).toEqual([{ line: 6, message: expect.stringMatching(/never closed/) }]);
  });

  it('does not report details of completed tasks as orphans', () => {
    const md =
      '## Active Queue\n\n## Task Details\n### Old Thing\n- **Description:** done long ago\n## Completed\n- [x] Old Thing - Completed: 2026-02-01 10:00';
    const parsed = parseBuildQueueMd(md);
    expect(parsed.problems).toEqual([]);
    expect(parsed.completed).toEqual([{ name: 'Old Thing', line: 7 }]);
  });

  it('refuses an unknown time zone', () => {
    expect(() => parseBuildQueueMd(fixture, { timeZone: 'Mars/Olympus_Mons' })).toThrow(InvalidInputError);
  });
});

describe('renderBuildQueueMd', () => {
  const spotify: BuildQueueViewEntry = {
    name: 'Spotify Playlist Automation',
    priority: 'high',
    addedAt: '2026-02-06T15:00:00.000Z',
    description:
      'Build OAuth integration with Spotify API.\nCreate a Python script that fetches liked songs.',
    criteria: ['OAuth flow working', 'Runs via cron weekly'],
    tech: 'Python, Spotipy library, OAuth2',
    estimate: '4 hours',
    blockers: [],
  };
  const calendar: BuildQueueViewEntry = {
    name: 'Calendar Sync',
    priority: 'medium',
    addedAt: '2026-02-05T09:30:00.000Z',
    description: 'Sync Google Calendar events into the daily notes file every morning.',
    criteria: ['Events appear in daily notes'],
    blockers: ['Waiting for credentials, from Ross', 'Design review'],
    waiting: ['"Calendar Sync" is blocked by "Design review".'],
  };
  const newsletter: BuildQueueViewEntry = {
    name: 'Newsletter',
    priority: 'low',
    addedAt: '2026-02-04T08:15:00.000Z',
    description: 'Send the weekly newsletter email to all subscribers.',
    criteria: ['Newsletter sent'],
    blockers: ['Copy review'],
    approved: true,
    risky: true,
  };
  const view: BuildQueueView = {
    updatedAt: new Date('2026-02-06T21:00:00Z'),
    building: [spotify],
    queued: [calendar, newsletter],
    completed: [
      { name: 'Autonomous Build System', completedAt: '2026-02-06T14:45:00.000Z', outcome: 'succeeded' },
    ],
  };

  it("writes the seed's queue lines, with status and positions", () => {
    const md = renderBuildQueueMd(view);
    expect(md).toContain(
      [
        '## Active Queue',
        '',
        '- [ ] Spotify Playlist Automation - Added: 2026-02-06 15:00 - Priority: High - Status: Building',
        '- [ ] Calendar Sync - Added: 2026-02-05 09:30 - Priority: Medium - Position: 1',
        '- [ ] Newsletter - Added: 2026-02-04 08:15 - Priority: Low - Position: 2',
      ].join('\n'),
    );
    expect(md).toContain('**Last Updated:** 2026-02-06 21:00 (UTC)');
    expect(md).toContain(
      '## Completed\n\n- [x] Autonomous Build System - Completed: 2026-02-06 14:45 - Outcome: succeeded',
    );
  });

  it("writes the seed's details block", () => {
    expect(renderBuildQueueMd(view)).toContain(
      [
        '### Spotify Playlist Automation',
        '- **Description:** Build OAuth integration with Spotify API.',
        '  Create a Python script that fetches liked songs.',
        '- **Completion Criteria:**',
        '  - [ ] OAuth flow working',
        '  - [ ] Runs via cron weekly',
        '- **Tech Stack:** Python, Spotipy library, OAuth2',
        '- **Estimated Time:** 4 hours',
        '- **Blockers:** None',
      ].join('\n'),
    );
  });

  it('writes times in the given zone', () => {
    expect(renderBuildQueueMd(view, { timeZone: 'America/Chicago' })).toContain(
      '- [ ] Spotify Playlist Automation - Added: 2026-02-06 09:00 - Priority: High - Status: Building',
    );
  });

  it.each(['UTC', 'America/Chicago'])('reads back what it wrote (%s)', (timeZone) => {
    const parsed = parseBuildQueueMd(renderBuildQueueMd(view, { timeZone }), { timeZone });
    expect(parsed.problems).toEqual([]);
    const strip = (e: BuildQueueViewEntry) => ({
      name: e.name,
      priority: e.priority,
      addedAt: e.addedAt,
      description: e.description,
      criteria: e.criteria,
      tech: e.tech,
      estimate: e.estimate,
      blockers: e.blockers,
      approved: e.approved ?? false,
      risky: e.risky ?? false,
    });
    expect(
      parsed.entries.map((e) => ({
        name: e.name,
        priority: e.priority,
        addedAt: e.addedAt,
        description: e.description,
        criteria: e.criteria,
        tech: e.tech,
        estimate: e.estimate,
        blockers: e.blockers,
        approved: e.approved,
        risky: e.risky,
      })),
    ).toEqual([spotify, calendar, newsletter].map(strip));
    expect(parsed.completed.map((c) => c.name)).toEqual(['Autonomous Build System']);
  });

  it('writes an empty queue that reads back as empty, without problems', () => {
    const md = renderBuildQueueMd({ building: [], queued: [], completed: [] });
    expect(md).toContain('## Active Queue\n\n_(empty)_');
    expect(parseBuildQueueMd(md)).toEqual({ entries: [], completed: [], problems: [] });
  });
});
