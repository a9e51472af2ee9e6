import { z } from 'zod';

/**
 * The seed-001 `plan.json` shape: checkpoints -> task groups -> tasks, with verification steps.
 * Unknown fields are kept (`loose`) because Nightshift writes the file back with checkpoint statuses
 * and must not drop what other tools put there.
 */
const id = z
  .union([z.string().min(1, 'expected a non-empty id'), z.number().int().nonnegative()])
  .transform((v) => String(v));

export const TaskSchema = z
  .looseObject({
    id,
    description: z.string().min(1).optional(),
    action: z.string().min(1).optional(),
    context: z.looseObject({ read_before: z.array(z.string()).optional() }).optional(),
  })
  .refine((t) => t.description !== undefined || t.action !== undefined, {
    message: 'a task needs a "description" or an "action"',
  });

export const TaskGroupSchema = z.looseObject({
  id,
  title: z.string().min(1, 'expected a non-empty title'),
  depends_on: z.array(id).optional(),
  tasks: z.array(TaskSchema).min(1, 'a task group needs at least one task'),
});

export const VerificationStepSchema = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), run: z.string().min(1) }),
]);

export const CheckpointSchema = z.looseObject({
  id,
  title: z.string().min(1, 'expected a non-empty title'),
  goal: z.string().default(''),
  status: z.string().optional(),
  task_groups: z.array(TaskGroupSchema).min(1, 'a checkpoint needs at least one task group'),
  testing_strategy: z
    .looseObject({ verification_steps: z.array(VerificationStepSchema).default([]) })
    .default({ verification_steps: [] }),
});

export const PlanSchema = z
  .looseObject({
    title: z.string().min(1, 'expected a non-empty title'),
    checkpoints: z.array(CheckpointSchema).min(1, 'a plan needs at least one checkpoint'),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>();
    plan.checkpoints.forEach((cp, i) => {
      if (seen.has(cp.id)) ctx.addIssue({ code: 'custom', path: ['checkpoints', i, 'id'], message: `duplicate checkpoint id "${cp.id}"` });
      seen.add(cp.id);
      const groups = new Set<string>();
      cp.task_groups.forEach((g, j) => {
        if (groups.has(g.id)) {
          ctx.addIssue({ code: 'custom', path: ['checkpoints', i, 'task_groups', j, 'id'], message: `duplicate task group id "${g.id}"` });
        }
        groups.add(g.id);
      });
      const cycle = dependencyCycle(cp.task_groups);
      if (cycle) {
        ctx.addIssue({ code: 'custom', path: ['checkpoints', i, 'task_groups'], message: `task groups depend on each other in a cycle: ${cycle.join(' -> ')}` });
      }
      cp.task_groups.forEach((g, j) => {
        for (const dep of g.depends_on ?? []) {
          if (!groups.has(dep) || dep === g.id)
            ctx.addIssue({
              code: 'custom',
              path: ['checkpoints', i, 'task_groups', j, 'depends_on'],
              message: `depends on "${dep}", which is not another task group of checkpoint ${cp.id}`,
            });
        }
      });
    });
  });

/** A dependency cycle among task groups (they would never run), as the ids along it, or undefined. */
function dependencyCycle(groups: { id: string; depends_on?: string[] | undefined }[]): string[] | undefined {
  const deps = new Map(groups.map((g) => [g.id, g.depends_on ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const g of groups) {
    const found = visit(g.id);
    if (found) return found;
  }
  return undefined;
}

export type Plan = z.infer<typeof PlanSchema>;
export type Checkpoint = Plan['checkpoints'][number];
export type TaskGroup = Checkpoint['task_groups'][number];
export type Task = TaskGroup['tasks'][number];
export type VerificationStep = { name: string; run: string };

export function verificationSteps(checkpoint: Checkpoint): VerificationStep[] {
  return checkpoint.testing_strategy.verification_steps.map((step) =>
    typeof step === 'string' ? { name: step, run: step } : step,
  );
}

export function taskText(task: Task): string {
  return task.description ?? task.action ?? '';
}
