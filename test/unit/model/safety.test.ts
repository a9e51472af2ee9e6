import {
  type SafetyInput,
  blockingIssues,
  blockingReasons,
  checkEntry,
  isVagueCriterion,
  meaningfulWords,
  openBlockers,
  requirementProblems,
  riskFindings,
} from '../../../src/model/safety';

/** Seed 002's "Good" task description. */
const good: SafetyInput = {
  name: 'Spotify Playlist Automation',
  description:
    'Build OAuth integration with Spotify API. Create Python script that authenticates user, fetches liked songs, and auto-generates weekly playlists based on mood categories.',
  criteria: [
    'OAuth flow working',
    "Can fetch user's liked songs",
    'Playlist generation logic complete',
    'Runs via cron weekly',
  ],
  tech: 'Python, Spotipy library, OAuth2',
  estimate: '4 hours',
  blockers: [],
  risky: false,
  approved: false,
};

/** Seed 002's "Bad" task description. */
const bad: SafetyInput = {
  name: 'Spotify Thing',
  description: 'Do Spotify stuff',
  criteria: ['When it works'],
  tech: 'Whatever',
  estimate: 'IDK',
  blockers: [],
  risky: false,
  approved: false,
};

describe('requirement checks (refused at add time)', () => {
  it("accepts the seed's good example", () => {
    expect(checkEntry(good)).toEqual([]);
  });

  it("accepts add_build_task.py's example description", () => {
    expect(
      requirementProblems({ ...good, description: 'Build Spotify playlist automation with OAuth' }),
    ).toEqual([]);
  });

  it("refuses every line of the seed's bad example, saying how to fix each", () => {
    const problems = requirementProblems(bad);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/description "Do Spotify stuff" is too vague.*--desc "/);
    expect(problems[1]).toMatch(/criterion "When it works" is too vague.*--criteria "/);
    expect(problems[2]).toMatch(/estimated time "IDK" is not a duration.*--time like "4 hours"/);
    expect(problems[3]).toMatch(/tech stack "Whatever" says nothing.*--tech "/);
  });

  it.each([
    'make it better',
    'Make it better!',
    'fix it',
    'Do stuff',
    'whatever',
    'Improve the thing',
    'Build it better',
  ])('refuses the vague description %j', (description) => {
    expect(requirementProblems({ ...good, description }).join('\n')).toMatch(/too vague to build from/);
  });

  it('refuses an empty description and names the flag', () => {
    expect(requirementProblems({ ...good, description: '  ' })).toEqual([
      '"Spotify Playlist Automation" has no description: add --desc "..." saying what to build, with what, and what it must do.',
    ]);
  });

  it('needs at least one completion criterion', () => {
    const problems = requirementProblems({ ...good, criteria: [] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('add at least one --criteria "..."');
    expect(requirementProblems({ ...good, criteria: ['   '] })).toHaveLength(1);
  });

  it.each([
    'When it works',
    'IDK',
    'Whatever',
    'done',
    'It works!',
    "when it's done",
    'TBD',
    '???',
    'make it better',
  ])('calls the criterion %j vague', (criterion) => {
    expect(isVagueCriterion(criterion)).toBe(true);
    expect(requirementProblems({ ...good, criteria: [criterion] })).toHaveLength(1);
  });

  it.each([
    'OAuth flow working',
    'Runs via cron weekly',
    'Can fetch user’s liked songs',
    'All tests pass',
    '3 playlists created',
  ])('accepts the criterion %j', (criterion) => {
    expect(isVagueCriterion(criterion)).toBe(false);
  });

  it('reports each vague criterion even when others are fine', () => {
    const problems = requirementProblems({ ...good, criteria: ['OAuth flow working', 'IDK', 'Whatever'] });
    expect(problems).toHaveLength(2);
  });

  it.each(['4 hours', '2h', '30 minutes', 'a few hours', '1-2 days', 'Overnight'])(
    'accepts the estimate %j',
    (estimate) => {
      expect(requirementProblems({ ...good, estimate })).toEqual([]);
    },
  );

  it('leaves out estimate and tech when not given', () => {
    const { estimate: _e, tech: _t, ...rest } = good;
    expect(requirementProblems(rest)).toEqual([]);
  });

  it('counts meaningful words, not filler', () => {
    expect(meaningfulWords('Do Spotify stuff')).toEqual(['spotify']);
    expect(meaningfulWords('Make it work with Node.js and C++')).toEqual(['node.js', 'c++']);
  });
});

describe('blocking checks (wait in the queue)', () => {
  it('an open blocker blocks, one reason per blocker, saying how to clear it', () => {
    const issues = blockingIssues({
      ...good,
      blockers: ['Waiting for Google API credentials', 'Design review'],
    });
    expect(issues.map((i) => i.code)).toEqual(['blocker', 'blocker']);
    expect(issues[0]?.message).toBe(
      '"Spotify Playlist Automation" is blocked by "Waiting for Google API credentials": resolve it, then remove it from the entry\'s blockers ("Blockers: None").',
    );
  });

  it('"None" and blank blockers are not blockers', () => {
    expect(openBlockers({ blockers: ['None', 'n/a', '-', ' ', 'No blockers'] })).toEqual([]);
    expect(blockingReasons({ ...good, blockers: ['None'] })).toEqual([]);
  });

  it('an entry marked risky needs approval, and approval clears it', () => {
    expect(blockingIssues({ ...good, risky: true })).toEqual([
      {
        code: 'risky',
        message:
          '"Spotify Playlist Automation" needs approval because it is marked risky: review it, then approve it to let it start.',
      },
    ]);
    expect(blockingIssues({ ...good, risky: true, approved: true })).toEqual([]);
  });

  it('approval does not clear blockers', () => {
    expect(
      blockingIssues({ ...good, risky: true, approved: true, blockers: ['API key'] }).map((i) => i.code),
    ).toEqual(['blocker']);
  });

  it('names the external actions it found', () => {
    const [issue] = blockingIssues({
      ...good,
      description: 'Send a weekly newsletter email to all subscribers and deploy the site to production.',
    });
    expect(issue?.code).toBe('risky');
    expect(issue?.message).toContain('it would send emails or messages and deploy to production');
  });

  it.each([
    ['Send emails to every customer who signed up last week', 'send emails or messages'],
    ['Email all subscribers a summary of the changes', 'send emails or messages'],
    ['Post the release notes to Twitter and LinkedIn', 'post or publish publicly'],
    ['Tweet a daily summary of the builds', 'post or publish publicly'],
    ['Publish the package to npm once tests pass', 'post or publish publicly'],
    ['Buy a domain name and configure DNS for the site', 'make purchases or payments'],
    ['Pay for the OpenAI subscription with the company card', 'make purchases or payments'],
    ['Set up Stripe payments for the shop checkout page', 'make purchases or payments'],
    ['Deploy the new API to production behind the load balancer', 'deploy to production'],
    ['Run the migration against the production database tonight', 'deploy to production'],
    ['Delete all inactive user accounts older than one year', 'delete data'],
    ['Drop the legacy tables from the analytics database', 'delete data'],
    ['Clean the repo history with a force-push to main', 'delete data'],
    ['Grant the contractor admin access to the GitHub org', 'grant or revoke access'],
    ['Revoke access for former employees from all systems', 'grant or revoke access'],
  ])('flags %j as %s', (description, action) => {
    expect(riskFindings({ name: 'x', description, criteria: [] })).toContain(action);
    expect(blockingIssues({ ...good, description }).map((i) => i.code)).toEqual(['risky']);
  });

  it('looks at the criteria too', () => {
    expect(
      riskFindings({
        name: 'x',
        description: 'Weekly report generator for the sales team',
        criteria: ['Report emailed to all customers'],
      }),
    ).toEqual(['send emails or messages']);
  });

  it.each([
    good.description,
    'Build a REST API for the todo app with Express, Postgres and JWT auth',
    'Refactor the queue module and add unit tests for the priority ordering',
    'Fix all failing tests in src/ and keep coverage above 80 percent',
    'Generate a local HTML dashboard that shows build progress from active.json',
  ])('does not flag the ordinary build %j', (description) => {
    expect(riskFindings({ name: 'x', description, criteria: [] })).toEqual([]);
  });

  it('checkEntry lists requirement problems first, then blocking reasons', () => {
    const reasons = checkEntry({ ...bad, blockers: ['API key'], risky: true });
    expect(reasons).toHaveLength(6);
    expect(reasons[4]).toMatch(/blocked by "API key"/);
    expect(reasons[5]).toMatch(/needs approval because it is marked risky/);
  });
});
