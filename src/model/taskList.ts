/**
 * Seed 003's multi-session loop files: the `task_list.md` checklist (structured mode is done when
 * every box is ticked), `progress.md` (one entry per session) and the `<promise>DONE</promise>`
 * completion tag (both modes). Pure text functions, usable from workflows.
 */

export interface CheckboxCounts {
  done: number;
  open: number;
  total: number;
}

export interface CheckboxItem {
  done: boolean;
  text: string;
  /** 1-based line number. */
  line: number;
}

/** `- [ ] x`, `* [x] x`, `+ [X] x`, `1. [ ] x`, `2) [ ] x`, at any indentation. */
const CHECKBOX = /^\s*(?:[-*+]|\d{1,9}[.)])\s+\[([ xX])\](?=\s|$)\s*(.*)$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Calls `visit` for each line outside fenced code blocks: a checklist quoted in a code block is an
 * example, not work to do.
 */
function eachProseLine(markdown: string, visit: (line: string, lineNo: number) => void): void {
  let fence: string | null = null;
  markdown.split(/\r?\n/).forEach((line, i) => {
    const m = FENCE.exec(line);
    if (fence !== null) {
      // A fence closes with the same character, at least as long, and nothing after it.
      if (
        m &&
        (m[1] as string)[0] === fence[0] &&
        (m[1] as string).length >= fence.length &&
        line.trim() === m[1]
      )
        fence = null;
      return;
    }
    if (m) {
      fence = m[1] as string;
      return;
    }
    visit(line, i + 1);
  });
}

export function checkboxItems(markdown: string): CheckboxItem[] {
  const items: CheckboxItem[] = [];
  eachProseLine(markdown, (line, lineNo) => {
    const m = CHECKBOX.exec(line);
    if (m) items.push({ done: m[1] !== ' ', text: (m[2] as string).trim(), line: lineNo });
  });
  return items;
}

export function countCheckboxes(markdown: string): CheckboxCounts {
  const items = checkboxItems(markdown);
  const done = items.filter((i) => i.done).length;
  return { done, open: items.length - done, total: items.length };
}

/** Structured mode's completion: every box ticked, and there is at least one box. */
export function allTicked(markdown: string): boolean {
  const { open, total } = countCheckboxes(markdown);
  return total > 0 && open === 0;
}

/** The first unticked item's text, which the next executor session should pick up. */
export function nextOpenItem(markdown: string): string | null {
  return checkboxItems(markdown).find((i) => !i.done)?.text ?? null;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The `task_list.md` a structured loop starts from. The completion criteria come first, so the
 * loop cannot be considered done before they are ticked; the initializer session adds the phases of
 * actual work below them.
 */
export function initialTaskList(task: string, criteria: string[]): string {
  const title = oneLine(task.split(/\r?\n/).find((l) => l.trim() !== '') ?? task) || 'Task';
  const goals = criteria.map(oneLine).filter((c) => c !== '');
  const lines = [
    `# Task List: ${title}`,
    '',
    ...(task.trim() !== title ? [task.trim(), ''] : []),
    'Tick an item (change `[ ]` to `[x]`) only when it is done and verified. Add items as you learn more;',
    'never delete or untick one. The task is complete when every box below is ticked.',
    '',
    '## Phase 1: Completion criteria',
    '',
    ...(goals.length > 0 ? goals : [title]).map((c) => `- [ ] ${c}`),
    '',
    '## Phase 2: Work',
    '',
    '- [ ] Break the work into phased sub-tasks in this file, one checkbox each',
    '',
    '## Phase 3: Verification',
    '',
    '- [ ] Check every completion criterion again from a clean state and record how in progress.md',
    '',
  ];
  return lines.join('\n');
}

export type LoopMode = 'structured' | 'lightweight';

export interface ProgressEntryInput {
  /** 1-based session number (matches `sessions/session-NNN.log`). */
  session: number;
  at: Date;
  summary: string;
  mode: LoopMode;
  /** The checklist after the session, in structured mode. */
  counts?: CheckboxCounts;
  /** Where the session's transcript is, when not `sessions/session-NNN.log` (hook mode: Claude Code's own). */
  log?: string;
}

/** What one session appends to `progress.md`; ends with a blank line so entries stay separate. */
export function progressEntry(input: ProgressEntryInput): string {
  const lines = [
    `## Session ${input.session} — ${input.at.toISOString()}`,
    '',
    `- Mode: ${input.mode}`,
    `- Log: ${input.log ?? `sessions/session-${String(input.session).padStart(3, '0')}.log`}`,
  ];
  if (input.counts) lines.push(`- Tasks: ${input.counts.done}/${input.counts.total} done`);
  lines.push('', input.summary.trim() || '(no summary)', '', '');
  return lines.join('\n');
}

/**
 * Whether the agent declared completion with `<promise>TEXT</promise>`. Whitespace inside the tag is
 * trimmed and runs of it count as one space (as Ralph's loop does). A tag inside inline code or a
 * fenced block is the agent quoting its instructions, not making the promise, so it does not count.
 */
export function containsPromise(text: string, promise = 'DONE'): boolean {
  const wanted = oneLine(promise);
  if (wanted === '') return false;
  const prose: string[] = [];
  eachProseLine(text, (line) => prose.push(line));
  const withoutCode = prose.join('\n').replace(/(`+)[\s\S]*?\1/g, '');
  for (const m of withoutCode.matchAll(/<promise>([\s\S]*?)<\/promise>/g)) {
    if (oneLine(m[1] as string) === wanted) return true;
  }
  return false;
}
