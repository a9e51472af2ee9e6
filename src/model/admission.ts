import { z } from 'zod';
import { InvalidInputError } from './errors';
import {
  DEFAULT_OFF_HOURS,
  OffHoursTextSchema,
  TimeZoneSchema,
  inWindow,
  nextWindowStart,
  parseWindow,
} from './offHours';
import { type Priority, type QueueEntry } from './queueEntry';
import { type SafetyInput, blockingIssues, requirementProblems } from './safety';
import { describeIssues } from './zodIssues';

/**
 * Which queued builds start now: seed 002's auto-spawn decision, made pure so a workflow can run it
 * on every change (enqueue, build finished, approval, window opening) and tests can pin it down.
 *
 * Rules, from the seed:
 *  - queue order is priority (high, then medium, then low), then age (older first);
 *  - high starts at any time; medium only inside the off-hours window; low never without approval
 *    (an approved low starts like a high);
 *  - an entry with open blockers, or risky and unapproved, never starts ("stays in queue, waits for
 *    manual review"); neither does one whose requirements are unclear, unless approved as it is;
 *  - at most `concurrency` builds are active ("one build at a time" by default).
 * An entry that cannot start does not hold a slot: the next eligible one in order takes it.
 */
export const PRIORITY_ORDER = ['high', 'medium', 'low'] as const satisfies readonly Priority[];

export const AdmissionPolicySchema = z.object({
  concurrency: z.number().int().min(1, 'expected at least 1 concurrent build').default(1),
  offHours: OffHoursTextSchema.default(DEFAULT_OFF_HOURS),
  timeZone: TimeZoneSchema.default('UTC'),
});
export type AdmissionPolicy = z.infer<typeof AdmissionPolicySchema>;
export type AdmissionPolicyInput = z.input<typeof AdmissionPolicySchema>;

export type AdmissionCandidate = SafetyInput & Pick<QueueEntry, 'label' | 'priority' | 'addedAt'>;

export const WAIT_REASON_CODES = ['concurrency', 'window', 'approval', 'blocker', 'risky'] as const;
export type WaitReasonCode = (typeof WAIT_REASON_CODES)[number];
export interface WaitReason {
  code: WaitReasonCode;
  message: string;
}

export interface WaitingEntry {
  label: string;
  /** 1-based place among the entries still waiting, in queue order. */
  position: number;
  reasons: WaitReason[];
}

export interface AdmissionDecision {
  /** Labels to start now, in queue order; never more than the free slots. */
  start: string[];
  waiting: WaitingEntry[];
  /** When the off-hours window next opens, if a medium entry waits for nothing else; else null. */
  wakeAt: string | null;
}

export interface AdmissionInput {
  queued: readonly AdmissionCandidate[];
  /** Builds already running. */
  active: number;
  policy?: AdmissionPolicyInput;
  now: Date;
}

function addedMs(entry: Pick<AdmissionCandidate, 'addedAt'>): number {
  const ms = Date.parse(entry.addedAt);
  // An unreadable date sorts last rather than jumping the queue.
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** Queue order: priority, then age (older first), then label so that ties are deterministic. */
export function compareQueueOrder(
  a: Pick<AdmissionCandidate, 'priority' | 'addedAt' | 'label'>,
  b: Pick<AdmissionCandidate, 'priority' | 'addedAt' | 'label'>,
): number {
  const byPriority = PRIORITY_ORDER.indexOf(a.priority) - PRIORITY_ORDER.indexOf(b.priority);
  if (byPriority !== 0) return byPriority;
  const aMs = addedMs(a);
  const bMs = addedMs(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
}

export function queueOrder<T extends Pick<AdmissionCandidate, 'priority' | 'addedAt' | 'label'>>(
  entries: readonly T[],
): T[] {
  return [...entries].sort(compareQueueOrder);
}

export function parseAdmissionPolicy(input: AdmissionPolicyInput = {}): AdmissionPolicy {
  const parsed = AdmissionPolicySchema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.error).join('; '), 'queue policy');
  return parsed.data;
}

/** The reasons other than capacity: blockers, risk, approval, window. */
function eligibilityReasons(
  entry: AdmissionCandidate,
  windowOpen: boolean,
  windowText: string,
): WaitReason[] {
  const reasons: WaitReason[] = blockingIssues(entry).map((i) => ({ code: i.code, message: i.message }));
  if (!entry.approved) {
    const problems = requirementProblems(entry);
    if (problems.length > 0) {
      reasons.push({
        code: 'approval',
        message: `"${entry.name}" has unclear requirements and waits for review: ${problems.join(' ')} Or approve it as it is.`,
      });
    }
    if (entry.priority === 'low') {
      reasons.push({
        code: 'approval',
        message: `"${entry.name}" is low priority, which never starts on its own: approve it to let it start.`,
      });
    }
  }
  if (entry.priority === 'medium' && !windowOpen) {
    reasons.push({
      code: 'window',
      message: `"${entry.name}" is medium priority, which starts only in the off-hours window (${windowText}).`,
    });
  }
  return reasons;
}

export function decideAdmission(input: AdmissionInput): AdmissionDecision {
  const policy = parseAdmissionPolicy(input.policy);
  const window = parseWindow(policy.offHours);
  const windowOpen = inWindow(window, input.now, policy.timeZone);
  const opens = windowOpen ? undefined : nextWindowStart(window, input.now, policy.timeZone);
  const windowText = `${policy.offHours} ${policy.timeZone}${opens ? `, next opening ${opens.toISOString()}` : ''}`;
  let free = Math.max(0, policy.concurrency - Math.max(0, input.active));
  const start: string[] = [];
  const waiting: WaitingEntry[] = [];
  let wakeForWindow = false;

  for (const entry of queueOrder(input.queued)) {
    const reasons = eligibilityReasons(entry, windowOpen, windowText);
    if (reasons.length === 0 && free > 0) {
      start.push(entry.label);
      free -= 1;
      continue;
    }
    if (free === 0) {
      const busy = Math.max(0, input.active) + start.length;
      reasons.push({
        code: 'concurrency',
        message:
          `${busy} build${busy === 1 ? ' is' : 's are'} running and at most ${policy.concurrency} may run at once: ` +
          `"${entry.name}" starts when one finishes.`,
      });
    }
    if (reasons.length === 1 && reasons[0]?.code === 'window') wakeForWindow = true;
    waiting.push({ label: entry.label, position: waiting.length + 1, reasons });
  }

  const wakeAt = wakeForWindow && opens ? opens.toISOString() : null;
  return { start, waiting, wakeAt };
}
