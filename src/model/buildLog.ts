import { wallClock } from './offHours';

/**
 * Seed 000's build-session log entry, appended to the memory file after each scheduled session:
 *
 *   ## Build Session: HH:MM — Title
 *   ### What I Built
 *   ...
 *   ### Key Insights
 *   ...
 *   ### Git
 *   ...
 */
export interface BuildLogEntryInput {
  at: Date;
  /** The zone the HH:MM is written in (the person's, not the server's). */
  timeZone: string;
  title: string;
  whatIBuilt: string;
  keyInsights: string;
  git: string;
}

export interface BuildLogEntry {
  /** `HH:MM` as written. */
  time: string;
  title: string;
  whatIBuilt: string;
  keyInsights: string;
  git: string;
  /** 1-based line of the `## Build Session:` heading. */
  line: number;
}

const SECTIONS = [
  ['What I Built', 'whatIBuilt'],
  ['Key Insights', 'keyInsights'],
  ['Git', 'git'],
] as const;
type SectionKey = (typeof SECTIONS)[number][1];

const ENTRY_HEADING = /^##\s+Build Session:\s*(\d{1,2}:\d{2})\s*(?:—|–|-{1,2})\s*(.*?)\s*$/;
const SECTION_HEADING = /^###\s+(What I Built|Key Insights|Git)\s*$/i;
/** Lines that would be read back as the start of an entry or a section; escaped with a backslash. */
const STRUCTURAL = /^\\*(##\s+Build Session:|###\s+(What I Built|Key Insights|Git)\s*$)/i;

function hhmm(at: Date, timeZone: string): string {
  const w = wallClock(at, timeZone);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}

function body(text: string): string {
  const trimmed = text.replace(/\r\n/g, '\n').trim();
  if (trimmed === '') return '(none)';
  return trimmed
    .split('\n')
    .map((l) => (STRUCTURAL.test(l) ? `\\${l}` : l))
    .join('\n');
}

export function renderBuildLogEntry(input: BuildLogEntryInput): string {
  const title = input.title.replace(/\s+/g, ' ').trim() || 'Untitled';
  return [
    `## Build Session: ${hhmm(input.at, input.timeZone)} — ${title}`,
    '### What I Built',
    body(input.whatIBuilt),
    '### Key Insights',
    body(input.keyInsights),
    '### Git',
    body(input.git),
    '',
  ].join('\n');
}

function unescape(line: string): string {
  return /^\\+(##|###)/.test(line) && STRUCTURAL.test(line) ? line.slice(1) : line;
}

/**
 * Every build-session entry in a memory file, in file order. An entry ends at the next heading of
 * level 1 or 2; other text in the file (day headings, notes) is skipped. Tolerates `-`/`–` for the
 * em dash and sections in any order or missing (read as empty).
 */
export function parseBuildLogEntries(markdown: string): BuildLogEntry[] {
  const entries: BuildLogEntry[] = [];
  let current: (BuildLogEntry & { buffers: Record<SectionKey, string[]> }) | null = null;
  let section: SectionKey | null = null;
  const finish = () => {
    if (!current) return;
    const { buffers, ...entry } = current;
    for (const [, key] of SECTIONS) {
      const text = buffers[key].join('\n').trim();
      entry[key] = text === '(none)' ? '' : text;
    }
    entries.push(entry);
    current = null;
    section = null;
  };
  markdown.split(/\r?\n/).forEach((line, i) => {
    const heading = ENTRY_HEADING.exec(line);
    if (heading) {
      finish();
      const [hours, minutes] = (heading[1] as string).split(':');
      current = {
        time: `${(hours as string).padStart(2, '0')}:${minutes as string}`,
        title: (heading[2] as string).replace(/^\[(.*)\]$/, '$1'),
        whatIBuilt: '',
        keyInsights: '',
        git: '',
        line: i + 1,
        buffers: { whatIBuilt: [], keyInsights: [], git: [] },
      };
      return;
    }
    if (/^#{1,2}\s/.test(line)) {
      finish();
      return;
    }
    if (!current) return;
    const sub = SECTION_HEADING.exec(line);
    if (sub) {
      const name = (sub[1] as string).toLowerCase();
      section = SECTIONS.find(([title]) => title.toLowerCase() === name)?.[1] ?? null;
      return;
    }
    if (section) current.buffers[section].push(unescape(line));
  });
  finish();
  return entries;
}
