import { type QueueEntry } from './queueEntry';

/**
 * Seed 002's safety checks, as text the person can act on. Two kinds of failure:
 *  - requirement problems (vague description, no or vague completion criteria, "IDK" estimates):
 *    the entry is refused when it is added, because "better to ask than build the wrong thing";
 *  - blocking reasons (open blockers, risk without approval): the entry is accepted but waits in
 *    the queue, as the seed's "task stays in queue, waits for manual review".
 * Every message says what is missing and how to fix it.
 */
export type SafetyInput = Pick<
  QueueEntry,
  'name' | 'description' | 'criteria' | 'blockers' | 'risky' | 'approved'
> &
  Partial<Pick<QueueEntry, 'estimate' | 'tech' | 'loopTask'>>;

export type BlockingCode = 'blocker' | 'risky';
export interface BlockingIssue {
  code: BlockingCode;
  message: string;
}

/** A description needs at least this many words that say something (not "do", "stuff", "it"...). */
export const MIN_DESCRIPTION_WORDS = 4;

/** Words that carry no requirement on their own; seed 002's bad example is made of them. */
const FILLER = new Set(
  (
    'a an the and or but nor so of to for with without in on at by from into onto as about ' +
    "it its it's this that these those there here is are be been being was were am " +
    'do does did doing done make makes made making get gets got getting ' +
    'some any something anything everything stuff thing things etc etc. ' +
    'just really very more most better best good nice cool great properly ' +
    'whatever idk tbd todo dunno maybe somehow kinda kind sort like ' +
    'work works working worked i me my we our us you your they them he she'
  ).split(/\s+/),
);

const VAGUE_DESCRIPTIONS = new Set([
  'make it better',
  'make it work',
  'make it good',
  'improve it',
  'improve things',
  'fix it',
  'fix stuff',
  'fix things',
  'fix everything',
  'clean up',
  'clean it up',
  'do stuff',
  'do the thing',
  'you know what i mean',
  'the usual',
  'same as before',
  'see above',
]);

const VAGUE_CRITERIA = new Set([
  'when it works',
  'it works',
  'works',
  'working',
  'when done',
  'when its done',
  'when it is done',
  'done',
  'finished',
  'when finished',
  'complete',
  'completed',
  'all done',
  'everything works',
  'looks good',
  'good enough',
  'make it better',
  'better',
  'youll know',
  'you will know',
  'ship it',
]);

const NO_ANSWER = new Set([
  '',
  'idk',
  'i dont know',
  'dunno',
  'whatever',
  'tbd',
  'todo',
  'na',
  'n a',
  'none',
  'any',
  'anything',
  'up to you',
  'you pick',
  'doesnt matter',
  'not sure',
  'unknown',
]);

/** Lower case, apostrophes dropped, punctuation to spaces: "When it's done!" -> "when its done". */
function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9+#]+/g, ' ')
    .trim();
}

/** Words that say something: "Do Spotify stuff" has one ("spotify"). */
export function meaningfulWords(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9][a-z0-9'’+#.-]*/g) ?? [];
  return words
    .map((w) => w.replace(/[.'’-]+$/, ''))
    .filter((w) => w.length >= 2 && !FILLER.has(w) && !FILLER.has(w.replace(/['’]/g, '')));
}

function isVagueDescription(text: string): boolean {
  const n = normalize(text);
  return (
    VAGUE_DESCRIPTIONS.has(n) || NO_ANSWER.has(n) || meaningfulWords(text).length < MIN_DESCRIPTION_WORDS
  );
}

export function isVagueCriterion(text: string): boolean {
  const n = normalize(text);
  return VAGUE_CRITERIA.has(n) || NO_ANSWER.has(n) || meaningfulWords(text).length === 0;
}

const TIME_WORDS =
  /\b(\d+(\.\d+)?\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|wk|weeks?)|(an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|half|few|couple|couple of)\s+(minutes?|hours?|days?|weeks?)|overnight|half\s+a\s+day)\b/i;

/** Why the entry cannot be accepted as it is; empty when its requirements are clear. */
export function requirementProblems(entry: SafetyInput): string[] {
  const problems: string[] = [];
  const description = entry.description.trim();
  if (description === '') {
    problems.push(
      `"${entry.name}" has no description: add --desc "..." saying what to build, with what, and what it must do.`,
    );
  } else if (isVagueDescription(description)) {
    problems.push(
      `The description "${description}" is too vague to build from: say what to build, with what, and what it must do ` +
        `(at least ${MIN_DESCRIPTION_WORDS} specific words), e.g. --desc "Build a Python script that fetches liked songs ` +
        `from the Spotify API and creates weekly playlists".`,
    );
  }
  const criteria = entry.criteria.map((c) => c.trim()).filter((c) => c !== '');
  if (criteria.length === 0) {
    problems.push(
      `"${entry.name}" has no completion criteria: add at least one --criteria "..." that can be checked, ` +
        `e.g. --criteria "OAuth flow working".`,
    );
  }
  for (const criterion of criteria.filter(isVagueCriterion)) {
    problems.push(
      `The completion criterion "${criterion}" is too vague to check: replace it with something observable, ` +
        `e.g. --criteria "Can fetch the user's liked songs".`,
    );
  }
  if (entry.estimate !== undefined && !TIME_WORDS.test(entry.estimate)) {
    problems.push(
      `The estimated time "${entry.estimate}" is not a duration: give --time like "4 hours", or leave it out.`,
    );
  }
  if (entry.tech !== undefined && NO_ANSWER.has(normalize(entry.tech))) {
    problems.push(
      `The tech stack "${entry.tech}" says nothing: name the languages and libraries (--tech "Python, Spotipy, OAuth2"), ` +
        `or leave it out and let the builder choose.`,
    );
  }
  return problems;
}

/**
 * External or destructive actions the seed never auto-starts ("external actions (emails, posts,
 * purchases)", "anything touching production systems", "access grants/revocations", "potential for
 * destructive actions"). Deliberately eager: a false alarm costs one approval, a miss can send mail.
 */
const RISKS: { action: string; patterns: RegExp[] }[] = [
  {
    action: 'send emails or messages',
    patterns: [
      /\bsend(s|ing)?\b[^.;\n]{0,40}\b(e-?mails?|messages?|sms|texts?|newsletters?|invitations?|invites?|dms?)\b/i,
      /\b(e-?mail|message|text|dm)(s|ing)?\s+(all\s+|the\s+|our\s+|every\s+|each\s+)?(users?|customers?|clients?|subscribers?|everyone|contacts?|people|team|list|leads?)\b/i,
      /\b(e-?mailed|texted|messaged|sent)\s+(out\s+)?to\s+(all\s+|the\s+|our\s+|every\s+|each\s+)?(users?|customers?|clients?|subscribers?|everyone|contacts?|people|leads?)\b/i,
      /\b(mass|bulk)\s+(e-?mail|mail|message)/i,
    ],
  },
  {
    action: 'post or publish publicly',
    patterns: [
      /\b(post|posts|posting|share|shares|sharing)\b[^.;\n]{0,30}\b(on|to)\s+(twitter|x|linkedin|facebook|instagram|reddit|slack|discord|social media|mastodon|bluesky|threads|hacker news|the blog|our blog|a blog|youtube|tiktok)\b/i,
      /\b(tweet|tweets|tweeting)\b/i,
      /\bpublish(es|ing)?\b/i,
    ],
  },
  {
    action: 'make purchases or payments',
    patterns: [
      /\b(buy|buys|buying|purchase|purchases|purchased|purchasing)\b/i,
      /\b(pay|pays|paying)\s+(for|the|an?|invoices?|bills?)\b/i,
      /\b(payments?|refunds?|wire transfers?|credit cards?)\b/i,
      /\btransfer(s|ring)?\s+(money|funds)\b/i,
      /\bcharge(s|ing)?\s+(the\s+)?(customers?|users?|cards?|clients?)\b/i,
    ],
  },
  {
    action: 'deploy to production',
    patterns: [
      /\b(deploy\w*|release\w*|push\w*|ship\w*|roll\w*\s+out|migrat\w*|go(es|ing)?\s+live)\b[^.;\n]{0,30}\b(prod|production|live)\b/i,
      /\bproduction\s+(database|db|servers?|systems?|environment|cluster|data)\b/i,
      /\bprod\s+(database|db|servers?|environment|cluster)\b/i,
    ],
  },
  {
    action: 'delete data',
    patterns: [
      /\b(delete|deletes|deleting|drop|drops|dropping|wipe|wipes|wiping|purge|purges|purging|truncate\w*|erase\w*|destroy\w*)\b[^.;\n]{0,30}\b(data|database|db|tables?|records?|rows?|users?|accounts?|backups?|buckets?|repos?|repositor(y|ies)|branch(es)?)\b/i,
      /\brm\s+-rf\b/i,
      /\bforce[- ]push\w*\b/i,
    ],
  },
  {
    action: 'grant or revoke access',
    patterns: [
      /\b(grant|grants|granting|revoke|revokes|revoking|give|gives|giving|remove|removes|removing)\b[^.;\n]{0,30}\b(access|permissions?|admin|roles?|rights|privileges)\b/i,
      /\b(add|adds|adding|invite|invites|inviting)\b[^.;\n]{0,20}\b(collaborators?|admins?|owners?)\b/i,
    ],
  },
];

/** The external or destructive actions the entry's text asks for, e.g. ["send emails or messages"]. */
export function riskFindings(
  entry: Pick<SafetyInput, 'name' | 'description' | 'criteria'> & { loopTask?: string },
): string[] {
  const text = [entry.name, entry.description, ...entry.criteria, entry.loopTask ?? ''].join('\n');
  return RISKS.filter((r) => r.patterns.some((p) => p.test(text))).map((r) => r.action);
}

const NONE = /^(none|no|n\/?a|-|—|nothing|no blockers?)\.?$/i;

/** Blockers that are still open: "None" and blank ones do not count. */
export function openBlockers(entry: Pick<SafetyInput, 'blockers'>): string[] {
  return entry.blockers.map((b) => b.trim()).filter((b) => b !== '' && !NONE.test(b));
}

function joinActions(actions: string[]): string {
  if (actions.length <= 1) return actions.join('');
  return `${actions.slice(0, -1).join(', ')} and ${actions[actions.length - 1] as string}`;
}

/** Why an accepted entry must wait in the queue, with a code the admission decision reports. */
export function blockingIssues(entry: SafetyInput): BlockingIssue[] {
  const issues: BlockingIssue[] = openBlockers(entry).map((blocker) => ({
    code: 'blocker' as const,
    message: `"${entry.name}" is blocked by "${blocker}": resolve it, then remove it from the entry's blockers ("Blockers: None").`,
  }));
  if (!entry.approved) {
    const actions = riskFindings(entry);
    if (entry.risky || actions.length > 0) {
      const why = [
        entry.risky ? 'it is marked risky' : '',
        actions.length > 0 ? `it would ${joinActions(actions)}` : '',
      ]
        .filter((w) => w !== '')
        .join(' and ');
      issues.push({
        code: 'risky',
        message: `"${entry.name}" needs approval because ${why}: review it, then approve it to let it start.`,
      });
    }
  }
  return issues;
}

export function blockingReasons(entry: SafetyInput): string[] {
  return blockingIssues(entry).map((i) => i.message);
}

/** Every reason the entry may not be accepted or auto-started; empty when it may. */
export function checkEntry(entry: SafetyInput): string[] {
  return [...requirementProblems(entry), ...blockingReasons(entry)];
}
