import { z } from 'zod';
import { LabelSchema } from './request';
import { formatPath } from './zodIssues';

/**
 * The payload of every message a build, a loop or a queue accepts, defined once and used by the CLI,
 * the script API and the workflow handlers alike. Only zod and other schema modules are imported, so
 * the workflow bundle can run these in its sandbox.
 *
 * Raw signals reach a workflow with whatever someone typed (`temporal workflow signal --input ...`,
 * the Web UI), so each handler parses its payload here first: a malformed signal is dropped with a
 * warning naming the field, and a malformed update is refused by its validator with the same text.
 *
 * Unknown fields are refused (strict objects), not stripped: `{"notes": "..."}` is a typo whose note
 * would otherwise vanish without a word. Free text is capped so a 10 MB note never reaches workflow
 * state (and so history, status and every file written from it).
 */

/** Notes, reasons and feedback messages: a few paragraphs at most. */
export const MAX_TEXT_CHARS = 4000;
/** The agent's last line, as the session activity reports it (it sends at most 500). */
export const MAX_PROGRESS_LINE_CHARS = 1000;
/** A whole `enqueue` request, plan included, as JSON. */
export const MAX_ENQUEUE_CHARS = 256 * 1024;

function freeText(what: string) {
  return z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(MAX_TEXT_CHARS, {
      error: (issue) =>
        `${what} is too long: at most ${MAX_TEXT_CHARS} characters, got ${lengthOf(issue.input)}`,
    });
}

function lengthOf(input: unknown): number {
  return typeof input === 'string' ? input.length : 0;
}

export const PauseSchema = z.strictObject({
  /** Cancel the running session now instead of at the next task boundary. */
  now: z.boolean().optional(),
  reason: freeText('reason').optional(),
});
export const OverrideSchema = z.strictObject({ note: freeText('note') });
export const SkipSchema = z.strictObject({ note: freeText('note') });
export const FeedbackSchema = z.strictObject({ message: freeText('message') });
/** Sent by the running session activity, throttled, while its agent produces output. */
export const ProgressSchema = z.strictObject({
  session: z.number().int().nonnegative(),
  line: z.string().max(MAX_PROGRESS_LINE_CHARS).optional(),
});

/** The tail of the agent's last message a hook-mode stop carries (the hook keeps the end, where the promise is). */
export const MAX_LAST_MESSAGE_CHARS = 4000;
/**
 * `iteration`: sent by the Stop hook of a hook-mode loop each time the Claude Code session tries to
 * stop (src/hooks/stopHook.ts). The update's answer says whether the session may stop.
 */
export const IterationSchema = z.strictObject({
  sessionId: z.string().max(200).optional(),
  transcriptPath: z.string().max(4096),
  lastMessage: z.string().max(MAX_LAST_MESSAGE_CHARS),
  promiseSeen: z.boolean(),
  /** Claude Code's `stop_hook_active`: this stop follows a stop the hook blocked. */
  stopHookActive: z.boolean().optional(),
});

export const LabelRefSchema = z.strictObject({ label: LabelSchema });
export const FailRequestSchema = z.strictObject({
  label: LabelSchema,
  reason: freeText('reason').optional(),
});

/**
 * `setPolicy` patches the queue's policy: only these keys, each checked (with the merged policy) by
 * the queue's own QueuePolicySchema, which names the field; a unit test keeps the two key lists equal.
 */
export const QUEUE_POLICY_KEYS = [
  'concurrency',
  'offHours',
  'timeZone',
  'maxRetries',
  'retryInterval',
] as const;
export const QueuePolicyPatchSchema = z.strictObject({
  concurrency: z.number().optional(),
  offHours: z.string().max(200).optional(),
  timeZone: z.string().max(200).optional(),
  maxRetries: z.number().optional(),
  retryInterval: z.union([z.number(), z.string().max(50)]).optional(),
});

const JsonObject = z.record(z.string(), z.unknown());

/**
 * `enqueue`: the envelope. The entry's own fields are checked by QueueEntrySchema, and the agent and
 * policy by the build or loop request they become, where the queue turns the entry into a run.
 */
export const EnqueueRequestSchema = z
  .strictObject({
    entry: JsonObject,
    agent: JsonObject.optional(),
    policy: JsonObject.optional(),
    baseRef: z.string().min(1).max(256).optional(),
    setup: z.array(z.string().min(1)).optional(),
    deliver: z.string().min(1).optional(),
    gate: z.enum(['checkpoint']).optional(),
    maxSessions: z.number().int().positive().optional(),
    remote: z.string().min(1).max(256).optional(),
    push: z.boolean().optional(),
  })
  .superRefine((req, ctx) => {
    const size = JSON.stringify(req).length;
    if (size > MAX_ENQUEUE_CHARS)
      ctx.addIssue({
        code: 'custom',
        message: `request is too large: at most ${MAX_ENQUEUE_CHARS} characters of JSON, got ${size}`,
      });
  });

/** Messages that carry nothing: absent, `null` or `{}` (what tools send for "no input"); nothing else. */
export const NoPayloadSchema = z.unknown().superRefine((value, ctx) => {
  if (value === undefined || value === null) return;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return;
  ctx.addIssue({ code: 'custom', message: `takes no payload, got ${describeValue(value)}` });
});

/** A payload that may be left out (`temporal workflow signal --name pause` with no --input). */
function optionalPayload<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((v) => v ?? undefined);
}

export type Pause = z.output<typeof PauseSchema>;
export type Override = z.output<typeof OverrideSchema>;
export type Skip = z.output<typeof SkipSchema>;
export type Feedback = z.output<typeof FeedbackSchema>;
export type Progress = z.output<typeof ProgressSchema>;
export type Iteration = z.output<typeof IterationSchema>;
export type LabelRef = z.output<typeof LabelRefSchema>;
export type FailRequest = z.output<typeof FailRequestSchema>;

/**
 * One schema per message name. Builds, loops and queues share names where they share meaning
 * (`override`, `retry`, `progress`), and a shared name has one payload everywhere.
 */
export const MESSAGE_PAYLOADS = {
  pause: optionalPayload(PauseSchema),
  resume: NoPayloadSchema,
  override: OverrideSchema,
  retry: NoPayloadSchema,
  skip: SkipSchema,
  feedback: FeedbackSchema,
  progress: ProgressSchema,
  iteration: IterationSchema,
  enqueue: EnqueueRequestSchema,
  approve: LabelRefSchema,
  remove: LabelRefSchema,
  fail: FailRequestSchema,
  setPolicy: optionalPayload(QueuePolicyPatchSchema),
} as const;
export type MessageName = keyof typeof MESSAGE_PAYLOADS;
export type PayloadOf<N extends MessageName> = z.output<(typeof MESSAGE_PAYLOADS)[N]>;

/** What each message looks like, for the refusal of a missing or mistyped payload. */
const EXAMPLES: Partial<Record<MessageName, string>> = {
  override: '{"note":"why the step is accepted"}',
  skip: '{"note":"why it is skipped"}',
  feedback: '{"message":"text for the next session"}',
  progress: '{"session":1,"line":"..."}',
  iteration: '{"transcriptPath":"...","lastMessage":"...","promiseSeen":false}',
  enqueue: '{"entry":{...}}',
  approve: '{"label":"LABEL"}',
  remove: '{"label":"LABEL"}',
  fail: '{"label":"LABEL","reason":"..."}',
};

export type ParsedPayload<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Parses a message's arguments as they arrive in a handler (or as a client is about to send them).
 * The problem names the field: `note: note is too long: ...`, `message: expected string, received number`.
 */
export function parsePayload<N extends MessageName>(
  name: N,
  args: readonly unknown[],
): ParsedPayload<PayloadOf<N>> {
  if (args.length > 1) return { ok: false, problem: `${name} takes one argument, got ${args.length}` };
  const raw = args[0];
  const schema = MESSAGE_PAYLOADS[name] as z.ZodType<PayloadOf<N>>;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const example = EXAMPLES[name];
  if (raw === undefined || raw === null)
    return { ok: false, problem: `${name} needs a payload${example ? ` like ${example}` : ''}` };
  const problems = parsed.error.issues.map((issue) => {
    const field = formatPath(issue.path);
    return `${field === '(root)' ? 'payload' : field}: ${issue.message}`;
  });
  const hint = typeof raw !== 'object' || Array.isArray(raw) ? (example ? ` (expected ${example})` : '') : '';
  return { ok: false, problem: `${problems.join('; ')}${hint}` };
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object')
    return `an object with ${Object.keys(value as object)
      .map((k) => `"${k}"`)
      .join(', ')}`;
  return `a ${typeof value}`;
}
