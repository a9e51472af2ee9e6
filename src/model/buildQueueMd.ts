import { InvalidInputError } from './errors';
import { isValidTimeZone, wallClock, zonedTimeToUtc } from './offHours';
import { type Priority } from './queueEntry';
import { slugify } from './request';

/**
 * Seed 002's BUILD_QUEUE.md, read (to import a queue the old system left behind, or one the person
 * edited by hand) and written (so people who read the file keep reading it):
 *
 *   ## Active Queue
 *   - [ ] Spotify Integration - Added: 2026-02-06 15:00 - Priority: High
 *   ## Task Details
 *   ### Spotify Integration
 *   - **Description:** ...
 *   - **Completion Criteria:**
 *     - [ ] OAuth flow working
 *   - **Tech Stack:** ...
 *   - **Estimated Time:** 4 hours
 *   - **Blockers:** None
 *   ## Completed
 *   - [x] Autonomous Build System - Completed: 2026-02-06 14:45
 *
 * Parsing never throws on content: everything it cannot read becomes a problem with its line
 * number, and whatever it can read is kept. Headings are matched on their words, so emoji (or the
 * seed's double-encoded emoji) in front of them do not matter. The `Added:` times have no zone in
 * the seed's format; they are read and written in the given time zone (UTC by default).
 */
export interface ParsedQueueEntry {
  name: string;
  /** `slugify(name)`: what the entry's build label defaults to. */
  label: string;
  priority: Priority;
  /** ISO 8601; absent when the line has no readable `Added:` date. */
  addedAt?: string;
  description: string;
  criteria: string[];
  estimate?: string;
  tech?: string;
  /** Open blockers only: "None" and ticked (`- [x]`) blockers are left out. */
  blockers: string[];
  /** Nightshift's own additions (`- **Approved:** Yes`, `- **Risky:** Yes`); false when absent. */
  approved: boolean;
  risky: boolean;
  /** 1-based line of the entry in the Active Queue. */
  line: number;
  /** 1-based line of its `### Name` heading under Task Details, when there is one. */
  detailsLine?: number;
}

export interface QueueMdProblem {
  line: number;
  message: string;
}

export interface ParsedBuildQueue {
  entries: ParsedQueueEntry[];
  /** Ticked queue lines and the Completed section: reported, not imported. */
  completed: { name: string; line: number }[];
  problems: QueueMdProblem[];
}

export interface BuildQueueMdOptions {
  /** The zone of the file's `Added:` times; UTC unless given. */
  timeZone?: string;
}

type Section = 'preamble' | 'active' | 'details' | 'completed' | 'other';

const LIST_ITEM = /^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(.*)$/;
const CHECKBOX = /^\[([ xX])\](?:\s+|$)(.*)$/;
const SEGMENT_SPLIT = /\s+[-–—]\s+(?=[A-Za-z][A-Za-z ]{0,30}:)/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const NONE = /^(none|no|n\/?a|-|—|nothing|no blockers?|\(none\))\.?$/i;

function timeZoneOf(options: BuildQueueMdOptions): string {
  const timeZone = options.timeZone ?? 'UTC';
  if (!isValidTimeZone(timeZone)) {
    throw new InvalidInputError(
      `unknown time zone "${timeZone}"; use an IANA name such as "America/Chicago"`,
      'time zone',
    );
  }
  return timeZone;
}

/** Heading words only: "ðŸ“‹ Active Queue" and "📋 Active Queue" both give "active queue". */
function headingWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function sectionOf(heading: string): Section {
  const words = headingWords(heading);
  if (/\bcompleted?\b|\bdone\b|\bfinished\b/.test(words)) return 'completed';
  if (/\bdetails?\b/.test(words)) return 'details';
  if (/\bqueue\b/.test(words)) return 'active';
  return 'other';
}

function stripBold(text: string): string {
  return text
    .replace(/^\*\*(.*)\*\*$/, '$1')
    .replace(/^__(.*)__$/, '$1')
    .trim();
}

/** The seed writes `Added:` times without a zone; an explicit `Z` or offset wins over the given zone. */
function parseAdded(value: string, timeZone: string): string | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT|[A-Z]{2,5})?$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [
    m[1],
    m[2],
    m[3],
    m[4] ?? '0',
    m[5] ?? '0',
    m[6] ?? '0',
  ].map(Number) as [number, number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return undefined;
  }
  const zone = m[7];
  if (zone === 'Z' || zone === 'UTC' || zone === 'GMT') return check.toISOString();
  if (zone && /^[+-]/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    return new Date(check.getTime() - offset * 60_000).toISOString();
  }
  // Abbreviations such as "CST" are ambiguous; the configured zone is the better guess.
  const instant = zonedTimeToUtc({ year, month, day, hour, minute }, timeZone);
  return new Date(instant.getTime() + second * 1000).toISOString();
}

function parsePriority(value: string): Priority | undefined {
  const m = /\b(high|medium|med|low)\b/i.exec(value);
  if (!m) return undefined;
  const word = (m[1] as string).toLowerCase();
  return word === 'med' ? 'medium' : (word as Priority);
}

/** `Name - Added: ... - Priority: ...` into the name and its `Key: value` segments. */
function splitQueueLine(text: string): { name: string; fields: Map<string, string> } {
  const [first, ...rest] = text.split(SEGMENT_SPLIT);
  const fields = new Map<string, string>();
  for (const segment of rest) {
    const colon = segment.indexOf(':');
    fields.set(headingWords(segment.slice(0, colon)), segment.slice(colon + 1).trim());
  }
  return { name: stripBold((first ?? '').trim()), fields };
}

type DetailKey = 'description' | 'criteria' | 'tech' | 'estimate' | 'blockers' | 'approved' | 'risky';

const DETAIL_KEYS: Record<string, DetailKey> = {
  description: 'description',
  desc: 'description',
  'completion criteria': 'criteria',
  criteria: 'criteria',
  'acceptance criteria': 'criteria',
  'done when': 'criteria',
  'tech stack': 'tech',
  tech: 'tech',
  stack: 'tech',
  'estimated time': 'estimate',
  estimate: 'estimate',
  'time estimate': 'estimate',
  time: 'estimate',
  blockers: 'blockers',
  blocker: 'blockers',
  dependencies: 'blockers',
  'blockers dependencies': 'blockers',
  approved: 'approved',
  approval: 'approved',
  risky: 'risky',
  risk: 'risky',
};

interface DetailsBlock {
  name: string;
  line: number;
  description: string[];
  criteria: string[];
  tech?: string;
  estimate?: string;
  blockers: string[];
  approved: boolean;
  risky: boolean;
}

const BOLD_FIELD = /^\*\*\s*([^*]+?)\s*\*\*\s*:?\s*(.*)$/;
const PLAIN_FIELD = /^([A-Za-z][A-Za-z /]{0,30}?)\s*:\s*(.*)$/;

function yes(value: string): boolean {
  return /^(yes|y|true|approved)\b|^✅/i.test(value.trim());
}

/** `- **Risk:** Sends emails to customers` is a risk too; only an explicit no/none/low is not. */
function risky(value: string): boolean {
  const v = value.trim();
  return v !== '' && !/^(no|none|n\/?a|false|low|-)\b/i.test(v);
}

function splitBlockers(value: string): string[] {
  return value
    .split(/[,;]/)
    .map((b) => b.trim())
    .filter((b) => b !== '' && !NONE.test(b));
}

function optionalText(value: string): string | undefined {
  const v = value.trim();
  return v === '' || NONE.test(v) ? undefined : v;
}

export function parseBuildQueueMd(markdown: string, options: BuildQueueMdOptions = {}): ParsedBuildQueue {
  const timeZone = timeZoneOf(options);
  const entries: ParsedQueueEntry[] = [];
  const completed: { name: string; line: number }[] = [];
  const problems: QueueMdProblem[] = [];
  const details: DetailsBlock[] = [];
  const problem = (line: number, message: string) => problems.push({ line, message });

  let section: Section = 'preamble';
  let fence: string | null = null;
  let inComment = false;
  let block: DetailsBlock | null = null;
  /** The details field the following indented lines belong to, and the indent of its line. */
  let field: { key: DetailKey | null; indent: number } | null = null;

  const lines = markdown.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    // Fenced blocks and HTML comments hold templates and examples, never queue content.
    const fenceMatch = FENCE.exec(raw);
    if (fence !== null) {
      if (
        fenceMatch &&
        (fenceMatch[1] as string)[0] === fence[0] &&
        (fenceMatch[1] as string).length >= fence.length
      )
        fence = null;
      return;
    }
    if (fenceMatch) {
      fence = fenceMatch[1] as string;
      return;
    }
    let line = raw;
    if (inComment) {
      const end = line.indexOf('-->');
      if (end < 0) return;
      inComment = false;
      line = line.slice(end + 3);
    }
    line = line.replace(/<!--[\s\S]*?-->/g, '');
    const open = line.indexOf('<!--');
    if (open >= 0) {
      inComment = true;
      line = line.slice(0, open);
    }
    if (line.trim() === '' || /^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) return;

    const heading = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading) {
      const level = (heading[1] as string).length;
      const text = heading[2] as string;
      if (level <= 2) {
        section = level === 1 ? 'preamble' : sectionOf(text);
        block = null;
        field = null;
        return;
      }
      if (section === 'details' && level === 3) {
        block = {
          name: stripBold(text),
          line: lineNo,
          description: [],
          criteria: [],
          blockers: [],
          approved: false,
          risky: false,
        };
        details.push(block);
        field = null;
        return;
      }
      return;
    }

    if (section === 'active' || section === 'completed') {
      const item = LIST_ITEM.exec(line);
      const box = item ? CHECKBOX.exec(item[2] as string) : null;
      if (section === 'completed') {
        if (!item) return; // prose (dates, summaries) under Completed is not ours to judge
        const { name } = splitQueueLine(box ? (box[2] as string) : (item[2] as string));
        if (name !== '' && (item[1] as string).length === 0) completed.push({ name, line: lineNo });
        return;
      }
      if (!item || !box) {
        if (/^\s*[_*(]*\s*(empty|none|nothing|no tasks)/i.test(line)) return;
        problem(
          lineNo,
          `expected a queue line like "- [ ] Name - Added: 2026-02-06 15:00 - Priority: High", got "${line.trim()}"`,
        );
        return;
      }
      const { name, fields } = splitQueueLine((box[2] as string).trim());
      if (name === '') {
        problem(
          lineNo,
          'queue line has no task name: write "- [ ] Name - Added: 2026-02-06 15:00 - Priority: High"',
        );
        return;
      }
      if (box[1] !== ' ') {
        completed.push({ name, line: lineNo });
        return;
      }
      const priorityText = fields.get('priority');
      let priority = priorityText === undefined ? undefined : parsePriority(priorityText);
      if (priority === undefined) {
        problem(
          lineNo,
          priorityText === undefined
            ? `"${name}" has no priority: add " - Priority: High", "Medium" or "Low"; read as Low, which never starts without approval`
            : `"${name}" has priority "${priorityText}": expected High, Medium or Low; read as Low, which never starts without approval`,
        );
        priority = 'low';
      }
      const addedText = fields.get('added') ?? fields.get('date') ?? fields.get('created');
      const addedAt = addedText === undefined ? undefined : parseAdded(addedText, timeZone);
      if (addedText === undefined) {
        problem(lineNo, `"${name}" has no "Added:" date: add " - Added: YYYY-MM-DD HH:MM"`);
      } else if (addedAt === undefined) {
        problem(lineNo, `"${name}" has an unreadable date "Added: ${addedText}": expected YYYY-MM-DD HH:MM`);
      }
      const label = slugify(name);
      const duplicate = entries.find((e) => e.label === label);
      if (duplicate) {
        problem(lineNo, `"${name}" is already in the queue on line ${duplicate.line}: remove one of them`);
        return;
      }
      entries.push({
        name,
        label,
        priority,
        ...(addedAt !== undefined ? { addedAt } : {}),
        description: '',
        criteria: [],
        blockers: [],
        approved: false,
        risky: false,
        line: lineNo,
      });
      return;
    }

    if (section !== 'details' || !block) return;
    const item = LIST_ITEM.exec(line);
    const indent = item ? (item[1] as string).length : (/^\s*/.exec(line)?.[0].length ?? 0);
    // Criteria written flush under their field (a common hand edit) still belong to it.
    const looseItem =
      item !== null &&
      CHECKBOX.test((item[2] as string).trim()) &&
      (field?.key === 'criteria' || field?.key === 'blockers');
    const nested = field !== null && (indent > field.indent || looseItem);
    if (item && !nested) {
      const text = (item[2] as string).trim();
      const m = BOLD_FIELD.exec(text) ?? PLAIN_FIELD.exec(text);
      if (m) {
        const key = DETAIL_KEYS[headingWords((m[1] as string).replace(/:$/, ''))] ?? null;
        const value = (m[2] as string).trim();
        field = { key, indent };
        if (key === 'description') block.description.push(value);
        else if (key === 'criteria') {
          if (value !== '' && !NONE.test(value)) block.criteria.push(value);
        } else if (key === 'blockers') block.blockers.push(...splitBlockers(value));
        else if (key === 'tech') {
          const tech = optionalText(value);
          if (tech !== undefined) block.tech = tech;
        } else if (key === 'estimate') {
          const estimate = optionalText(value);
          if (estimate !== undefined) block.estimate = estimate;
        } else if (key === 'approved') block.approved = yes(value);
        else if (key === 'risky') block.risky = risky(value);
        return;
      }
      problem(
        lineNo,
        `expected a detail like "- **Description:** ..." under "### ${block.name}", got "${line.trim()}"`,
      );
      field = null;
      return;
    }
    if (!field) {
      problem(
        lineNo,
        `expected a detail like "- **Description:** ..." under "### ${block.name}", got "${line.trim()}"`,
      );
      return;
    }
    // Indented lines below a field: list items of criteria and blockers, continuation of the rest.
    const key = field.key;
    if (key === 'criteria' || key === 'blockers') {
      const text = item ? (item[2] as string).trim() : line.trim();
      const box = CHECKBOX.exec(text);
      const value = (box ? (box[2] as string) : text).trim();
      if (value === '' || NONE.test(value)) return;
      if (key === 'criteria') block.criteria.push(value);
      else if (!box || box[1] === ' ') block.blockers.push(value); // a ticked blocker is resolved
      return;
    }
    if (key === 'description') block.description.push(line.trim());
  });

  if (fence !== null)
    problem(lines.length, 'a ``` code block is never closed: everything after it was skipped');

  const completedLabels = new Set(completed.map((c) => slugify(c.name)));
  const matched = new Set<ParsedQueueEntry>();
  for (const d of details) {
    const entry = entries.find((e) => e.label === slugify(d.name));
    if (!entry) {
      if (!completedLabels.has(slugify(d.name))) {
        problem(
          d.line,
          `details for "${d.name}", which is not in the Active Queue: add "- [ ] ${d.name} - Added: ... - Priority: ..." there, or fix the heading`,
        );
      }
      continue;
    }
    if (matched.has(entry)) {
      problem(
        d.line,
        `second details section for "${entry.name}" (the first is on line ${entry.detailsLine ?? '?'}): merge them`,
      );
      continue;
    }
    matched.add(entry);
    entry.detailsLine = d.line;
    entry.description = d.description.join('\n').trim();
    entry.criteria = d.criteria;
    entry.blockers = d.blockers;
    entry.approved = d.approved;
    entry.risky = d.risky;
    if (d.tech !== undefined) entry.tech = d.tech;
    if (d.estimate !== undefined) entry.estimate = d.estimate;
  }
  return { entries, completed, problems };
}

export interface BuildQueueViewEntry {
  name: string;
  priority: Priority;
  addedAt: string;
  description: string;
  criteria: string[];
  estimate?: string;
  tech?: string;
  blockers: string[];
  approved?: boolean;
  risky?: boolean;
  /** Why it is not building yet (admission's messages), shown under its details. */
  waiting?: string[];
}

export interface BuildQueueView {
  title?: string;
  updatedAt?: Date;
  /** Builds running now; listed first in the Active Queue. */
  building: BuildQueueViewEntry[];
  /** Waiting entries in queue order; their position is their place in this list. */
  queued: BuildQueueViewEntry[];
  completed: { name: string; completedAt?: string; outcome?: string }[];
}

function formatLocal(iso: string | Date, timeZone: string): string {
  const w = wallClock(typeof iso === 'string' ? new Date(iso) : iso, timeZone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function inline(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function renderDetails(entry: BuildQueueViewEntry): string[] {
  const lines = [`### ${inline(entry.name)}`];
  const [first = '', ...more] = entry.description.trim().split(/\r?\n/);
  lines.push(`- **Description:** ${first.trim()}`.trimEnd());
  for (const l of more) if (l.trim() !== '') lines.push(`  ${l.trim()}`);
  lines.push('- **Completion Criteria:**');
  for (const c of entry.criteria) lines.push(`  - [ ] ${inline(c)}`);
  if (entry.tech !== undefined) lines.push(`- **Tech Stack:** ${inline(entry.tech)}`);
  if (entry.estimate !== undefined) lines.push(`- **Estimated Time:** ${inline(entry.estimate)}`);
  const blockers = entry.blockers.map(inline).filter((b) => b !== '');
  if (blockers.length === 0) lines.push('- **Blockers:** None');
  else if (blockers.some((b) => /[,;]/.test(b))) {
    lines.push('- **Blockers:**');
    for (const b of blockers) lines.push(`  - ${b}`);
  } else lines.push(`- **Blockers:** ${blockers.join(', ')}`);
  if (entry.approved) lines.push('- **Approved:** Yes');
  if (entry.risky) lines.push('- **Risky:** Yes');
  if (entry.waiting && entry.waiting.length > 0)
    lines.push(`- **Waiting:** ${entry.waiting.map(inline).join(' ')}`);
  return lines;
}

/** BUILD_QUEUE.md from Nightshift's queue, in the seed's format; `parseBuildQueueMd` reads it back. */
export function renderBuildQueueMd(view: BuildQueueView, options: BuildQueueMdOptions = {}): string {
  const timeZone = timeZoneOf(options);
  const queueLine = (e: BuildQueueViewEntry, status: string) =>
    `- [ ] ${inline(e.name)} - Added: ${formatLocal(e.addedAt, timeZone)} - Priority: ${capitalize(e.priority)} - ${status}`;
  const lines = [`# ${view.title ?? 'Build Queue'}`, ''];
  if (view.updatedAt)
    lines.push(`**Last Updated:** ${formatLocal(view.updatedAt, timeZone)} (${timeZone})`, '');
  lines.push('## Active Queue', '');
  if (view.building.length === 0 && view.queued.length === 0) lines.push('_(empty)_');
  for (const e of view.building) lines.push(queueLine(e, 'Status: Building'));
  view.queued.forEach((e, i) => lines.push(queueLine(e, `Position: ${i + 1}`)));
  lines.push('', '## Task Details', '');
  for (const e of [...view.building, ...view.queued]) lines.push(...renderDetails(e), '');
  lines.push('## Completed', '');
  if (view.completed.length === 0) lines.push('_(none yet)_');
  for (const c of view.completed) {
    const segments = [
      c.completedAt !== undefined ? `Completed: ${formatLocal(c.completedAt, timeZone)}` : '',
      c.outcome !== undefined ? `Outcome: ${inline(c.outcome)}` : '',
    ].filter((s) => s !== '');
    lines.push([`- [x] ${inline(c.name)}`, ...segments].join(' - '));
  }
  lines.push('');
  return lines.join('\n');
}
