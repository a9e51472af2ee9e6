import { z } from 'zod';

export const DEVNOTE_CATEGORIES = ['deviation', 'discovery', 'decision', 'blocker', 'resolution'] as const;
export type DevNoteCategory = (typeof DEVNOTE_CATEGORIES)[number];

export const DevNoteSchema = z.object({
  scope: z.object({ type: z.enum(['task', 'checkpoint', 'session']), ref: z.string().nullable() }),
  category: z.enum(DEVNOTE_CATEGORIES),
  content: z.string(),
  at: z.string(),
});
export type DevNote = z.infer<typeof DevNoteSchema>;

const DEVNOTE_LINE = /^DEVNOTE\s+(deviation|discovery|decision|blocker|resolution)\s*:\s*(.+)$/;

/** Agents record DevNotes by printing `DEVNOTE <category>: <content>` on a line of their own. */
export function parseDevNoteLine(line: string): { category: DevNoteCategory; content: string } | undefined {
  const m = DEVNOTE_LINE.exec(line.trim());
  return m ? { category: m[1] as DevNoteCategory, content: (m[2] as string).trim() } : undefined;
}
