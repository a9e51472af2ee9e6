import { ApplicationFailure, log, setHandler } from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import { type MessageName, type PayloadOf, parsePayload } from '../../model/payloads';
import { formatPath } from '../../model/zodIssues';

/**
 * What reaches a workflow from outside, checked at the door: its input (a request written by hand
 * for `temporal workflow start`) and every message payload (a raw `temporal workflow signal`).
 * Nothing here may throw a plain Error: in a workflow that fails the task again and again instead of
 * failing the request.
 */

/** The failure type of a workflow whose input does not match its schema. */
export const INVALID_REQUEST = 'InvalidRequest';
/** The failure type with which an update's validator refuses a malformed payload. */
export const INVALID_MESSAGE = 'InvalidMessage';

/**
 * Parses a workflow's input with its schema, filling the defaults the CLI fills. A parsed request
 * parses to itself, so a continued-as-new run and a replay see the same request. On a mismatch the
 * workflow fails at once (non-retryable), its message naming every field: `invalid build request:
 * plan: expected object, received undefined`.
 */
export function parseInput<S extends z.ZodType>(what: string, schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = formatPath(issue.path);
    return `${field === '(root)' ? what : field}: ${issue.message}`;
  });
  throw ApplicationFailure.create({
    type: INVALID_REQUEST,
    nonRetryable: true,
    message: `invalid ${what}: ${problems.join('; ')}`,
    details: [problems],
  });
}

/** A signal's payload, or null after a worker warning naming the field: the signal is dropped. */
export function signalPayload<N extends MessageName>(name: N, args: readonly unknown[]): { value: PayloadOf<N> } | null {
  const parsed = parsePayload(name, args);
  if (parsed.ok) return { value: parsed.value };
  log.warn(`ignored signal ${name}: ${parsed.problem}`);
  return null;
}

/**
 * An update's payload. In its validator a mismatch refuses the update with the field named (nothing
 * reaches history); in its handler (which runs without the validator on replay) it parses the same.
 */
export function updatePayload<N extends MessageName>(name: N, args: readonly unknown[]): PayloadOf<N> {
  const parsed = parsePayload(name, args);
  if (parsed.ok) return parsed.value;
  throw ApplicationFailure.create({ type: INVALID_MESSAGE, nonRetryable: true, message: `${name} refused: ${parsed.problem}` });
}

/** How a workflow handles one human message (pause, retry, override, ...), shared by builds and loops. */
export interface HumanHandling<N extends MessageName, V> {
  /** Why the message cannot apply now, or undefined. */
  validate: (payload: PayloadOf<N>) => string | undefined;
  apply: (payload: PayloadOf<N>) => void;
  /** The update's answer, once the workflow has acted on the message. */
  answer: () => Promise<V>;
}

/**
 * A human message as a signal and as an update of the same name. Both parse the raw payload with the
 * CLI's schema first. A signal that is malformed or cannot apply is logged and dropped, so
 * `temporal workflow signal` never breaks the workflow; the update's validator refuses it with the reason.
 */
export function setHumanHandlers<N extends MessageName, A extends unknown[], V>(
  name: N,
  signal: SignalDefinition<A>,
  update: UpdateDefinition<V, A>,
  handling: HumanHandling<N, V>,
): void {
  setHandler(signal, (...args: A) => {
    const payload = signalPayload(name, args);
    if (!payload) return;
    const why = handling.validate(payload.value);
    if (why) return log.warn(`ignored signal ${name}: ${why}`);
    handling.apply(payload.value);
  });
  setHandler(
    update,
    async (...args: A) => {
      handling.apply(updatePayload(name, args));
      return handling.answer();
    },
    {
      validator: (...args: A) => {
        const why = handling.validate(updatePayload(name, args));
        if (why) throw new Error(why);
      },
    },
  );
}
