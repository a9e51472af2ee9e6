import { z } from 'zod';
import { InvalidInputError } from './errors';
import { LabelSchema, slugify } from './request';
import { describeIssues } from './zodIssues';

/**
 * One task in the build queue: seed 002's `add_build_task.py` fields (name, desc, priority, time,
 * tech) plus what its BUILD_QUEUE.md details hold (completion criteria, blockers), what its safety
 * checks need (risky, approved) and what Nightshift runs (a seed-001 plan or a seed-003 loop).
 */
export const PRIORITIES = ['high', 'medium', 'low'] as const;
export const PrioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof PrioritySchema>;

export const QUEUE_ENTRY_KINDS = ['plan', 'loop'] as const;
export type QueueEntryKind = (typeof QUEUE_ENTRY_KINDS)[number];

/** The fields alone, for `.pick`/`.extend` (zod refuses to extend a refined object). */
export const QueueEntryObject = z.object({
  /** Becomes the build label (workflow id, branch, progress file): `slugify(name)` unless given. */
  label: LabelSchema,
  name: z.string().trim().min(1, 'expected a non-empty name'),
  description: z.string().trim().default(''),
  /** High by default: seed 002 files direct requests as high priority. */
  priority: PrioritySchema.default('high'),
  /** Completion criteria: what must be true for the build to count as done. */
  criteria: z.array(z.string().trim().min(1, 'expected a non-empty criterion')).default([]),
  /** Free text as the seed writes it: "4 hours". */
  estimate: z.string().trim().min(1).optional(),
  tech: z.string().trim().min(1).optional(),
  /** Open blockers; the entry waits in the queue until this is empty. */
  blockers: z.array(z.string().trim().min(1)).default([]),
  /** Marked risky by the person (on top of what the safety checks detect in the text). */
  risky: z.boolean().default(false),
  /** The person's explicit go-ahead: lets low-priority and risky entries start. */
  approved: z.boolean().default(false),
  addedAt: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 timestamp' }),
  repo: z.string().min(1, 'expected a repository path'),
  /** `plan`: a seed-001 plan, checkpoint by checkpoint. `loop`: a seed-003 multi-session loop. */
  kind: z.enum(QUEUE_ENTRY_KINDS),
  /** The plan for `kind: 'plan'`; validated by PlanSchema where it is run, kept opaque here. */
  plan: z.unknown().optional(),
  /** The loop's task text for `kind: 'loop'`; defaults to the description when absent. */
  loopTask: z.string().trim().min(1).optional(),
  /** `add --after LABEL`: start only once LABEL has completed, from its branch nightshift/<LABEL>. */
  after: LabelSchema.optional(),
});

export const QueueEntrySchema = QueueEntryObject.superRefine((entry, ctx) => {
  if (entry.kind === 'plan' && entry.plan === undefined) {
    ctx.addIssue({ code: 'custom', path: ['plan'], message: 'an entry of kind "plan" needs a plan' });
  }
});

export type QueueEntry = z.infer<typeof QueueEntrySchema>;
export type QueueEntryInput = z.input<typeof QueueEntrySchema>;

/** A new entry from what the person typed: the label comes from the name unless they chose one. */
export function newQueueEntry(input: Omit<QueueEntryInput, 'label'> & { label?: string }): QueueEntry {
  const parsed = QueueEntrySchema.safeParse({ ...input, label: input.label ?? slugify(input.name) });
  if (!parsed.success)
    throw new InvalidInputError(describeIssues(parsed.error).join('; '), `queue entry "${input.name}"`);
  return parsed.data;
}

/** What a loop build is asked to do: the explicit loop task, else the description, else the name. */
export function loopTaskText(entry: Pick<QueueEntry, 'loopTask' | 'description' | 'name'>): string {
  return entry.loopTask ?? (entry.description || entry.name);
}
