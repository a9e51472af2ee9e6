import { z } from 'zod';
import { FAILURE_CLASSES } from '../types';

/** The line the scripted agent prints for a `fail` action; its adapter's parser reads it back. */
export const SCRIPTED_FAILURE = 'nightshift-scripted-failure ';

/** A line the scripted agent's parser reads as spend in USD (`print` it): tests of cost without a real agent. */
export const SCRIPTED_COST = 'nightshift-scripted-cost ';

/** A failure as a real agent's parser would report it: class, message (the fix), reset time, a gone session. */
export const ScriptedFailureSchema = z.object({
  class: z.enum(FAILURE_CLASSES),
  message: z.string(),
  /** For `rate-limited`: the limit resets this many seconds after the session. */
  resetInSeconds: z.number().nonnegative().optional(),
  /** The agent session asked to resume no longer exists. */
  sessionGone: z.boolean().optional(),
});
export type ScriptedFailure = z.infer<typeof ScriptedFailureSchema>;

/**
 * What the scripted agent does, rule by rule. The first rule whose `when` matches (and whose `times`
 * is not used up) runs its actions; with no match it does its default edit. Tests, the demo and the
 * benchmarks use this to make a real child process fail, stall, hang or print what they need.
 */
const Action = z.union([
  z.object({ print: z.string() }),
  z.object({ stderr: z.string() }),
  z.object({ write: z.object({ path: z.string(), content: z.string() }) }),
  z.object({ append: z.object({ path: z.string(), content: z.string() }) }),
  z.object({ sleep: z.number().int().nonnegative() }),
  z.object({ tick: z.object({ every: z.number().int().positive(), count: z.number().int().positive(), text: z.string().default('working') }) }),
  /** Ignore SIGTERM and never finish: only SIGKILL ends it. */
  z.object({ hang: z.literal(true) }),
  /** Start a grandchild in the same process group that also ignores SIGTERM; its pid goes to the file. */
  z.object({ spawnChild: z.object({ pidFile: z.string() }) }),
  z.object({ pidFile: z.string() }),
  z.object({ edit: z.literal(true) }),
  z.object({ exit: z.number().int() }),
  /** Fail the way a real agent's parser reports it (auth, rate-limited, ...), then exit 1. */
  z.object({ fail: ScriptedFailureSchema }),
  /** Tick the first `count` open boxes of a checklist (default: the loop's task_list.md, $NIGHTSHIFT_TASK_LIST). */
  z.object({ tickBox: z.object({ path: z.string().optional(), count: z.number().int().positive().default(1) }) }),
]);
export type ScriptedAction = z.infer<typeof Action>;

export const ScenarioSchema = z.object({
  state: z.string().optional(),
  rules: z
    .array(
      z.object({
        when: z
          .object({ checkpoint: z.string().optional(), taskGroup: z.string().optional(), session: z.number().int().optional() })
          .default({}),
        times: z.number().int().positive().optional(),
        do: z.array(Action),
      }),
    )
    .default([]),
  /** Actions when no rule matches; the default is one `edit`. */
  otherwise: z.array(Action).optional(),
});
export type Scenario = z.infer<typeof ScenarioSchema>;
