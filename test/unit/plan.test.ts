import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidDocumentError, NotFoundError } from '../../src/model/errors';
import { verificationSteps } from '../../src/model/plan';
import { loadPlanFile, parsePlanText } from '../../src/model/planFile';

const good = {
  title: 'Auth',
  checkpoints: [
    {
      id: 1,
      title: 'Login form',
      goal: 'A user can log in',
      task_groups: [
        { id: '1.1', title: 'UI', tasks: [{ id: '1.1.1', description: 'Form', context: { read_before: ['src/app.ts'] } }] },
        { id: '1.2', title: 'API', depends_on: ['1.1'], tasks: [{ id: '1.2.1', action: 'Endpoint' }] },
      ],
      testing_strategy: { verification_steps: ['npm test', { name: 'lint', run: 'npm run lint' }] },
      file_context: { extra: 'kept' },
    },
  ],
};

function problems(value: unknown): string[] {
  try {
    parsePlanText(JSON.stringify(value), 'plan.json');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidDocumentError);
    return (err as InvalidDocumentError).problems;
  }
  throw new Error('expected the plan to be refused');
}

describe('plan validation', () => {
  it('accepts the seed-001 shape, normalises ids to strings and keeps unknown fields', () => {
    const plan = parsePlanText(JSON.stringify(good), 'plan.json');
    expect(plan.checkpoints[0]?.id).toBe('1');
    expect(plan.checkpoints[0]?.file_context).toEqual({ extra: 'kept' });
    expect(verificationSteps(plan.checkpoints[0]!)).toEqual([
      { name: 'npm test', run: 'npm test' },
      { name: 'lint', run: 'npm run lint' },
    ]);
  });

  it('defaults missing verification steps and goal', () => {
    const plan = parsePlanText(
      JSON.stringify({ title: 't', checkpoints: [{ id: 'a', title: 'x', task_groups: [{ id: 'g', title: 'g', tasks: [{ id: 't', description: 'd' }] }] }] }),
      'p.json',
    );
    expect(plan.checkpoints[0]?.testing_strategy.verification_steps).toEqual([]);
    expect(plan.checkpoints[0]?.goal).toBe('');
  });

  it('names the path of a wrong type', () => {
    expect(problems({ ...good, checkpoints: [{ ...good.checkpoints[0], title: 5 }] })).toEqual([
      expect.stringMatching(/^checkpoints\[0\]\.title: .*string/),
    ]);
  });

  it('names a missing title at the root', () => {
    expect(problems({ checkpoints: good.checkpoints })[0]).toMatch(/^title: /);
  });

  it('refuses a plan without checkpoints, and a checkpoint without task groups', () => {
    expect(problems({ title: 'x', checkpoints: [] })[0]).toMatch(/^checkpoints: a plan needs at least one checkpoint/);
    expect(problems({ title: 'x', checkpoints: [{ id: 1, title: 'c', task_groups: [] }] })[0]).toMatch(
      /^checkpoints\[0\]\.task_groups: a checkpoint needs at least one task group/,
    );
  });

  it('refuses a task with neither description nor action, naming it', () => {
    const plan = structuredClone(good);
    plan.checkpoints[0]!.task_groups[0]!.tasks = [{ id: 'x' } as never];
    expect(problems(plan)).toEqual([expect.stringMatching(/^checkpoints\[0\]\.task_groups\[0\]\.tasks\[0\]: a task needs a "description" or an "action"/)]);
  });

  it('refuses duplicate checkpoint ids and unknown dependencies', () => {
    const plan = structuredClone(good);
    plan.checkpoints.push({ ...structuredClone(good.checkpoints[0]!), title: 'again' });
    plan.checkpoints[1]!.task_groups[1]!.depends_on = ['9.9'];
    const found = problems(plan);
    expect(found).toContainEqual(expect.stringMatching(/^checkpoints\[1\]\.id: duplicate checkpoint id "1"/));
    expect(found).toContainEqual(expect.stringMatching(/^checkpoints\[1\]\.task_groups\[1\]\.depends_on: depends on "9\.9"/));
  });

  it('refuses task groups that depend on each other in a cycle, and duplicate group ids', () => {
    const plan = structuredClone(good);
    plan.checkpoints[0]!.task_groups[0]!.depends_on = ['1.2'];
    expect(problems(plan)).toContainEqual(expect.stringMatching(/^checkpoints\[0\]\.task_groups: task groups depend on each other in a cycle: 1\.1 -> 1\.2 -> 1\.1/));
    const dup = structuredClone(good);
    dup.checkpoints[0]!.task_groups[1]!.id = '1.1';
    dup.checkpoints[0]!.task_groups[1]!.depends_on = undefined as never;
    expect(problems(dup)).toContainEqual(expect.stringMatching(/^checkpoints\[0\]\.task_groups\[1\]\.id: duplicate task group id "1\.1"/));
  });

  it('reports every problem, not only the first', () => {
    expect(problems({ title: '', checkpoints: [{ id: 1, task_groups: [{ id: 'g', tasks: [] }] }] }).length).toBeGreaterThanOrEqual(3);
  });

  it('reports invalid JSON with the file name and no stack', () => {
    try {
      parsePlanText('{ "title": ', 'broken.json');
      throw new Error('not refused');
    } catch (err) {
      expect((err as Error).message).toMatch(/^broken\.json is not valid:\n {2}- not valid JSON/);
    }
  });

  it('says when the file does not exist', () => {
    expect(() => loadPlanFile(join(tmpdir(), 'no-such-plan.json'))).toThrow(NotFoundError);
  });

  it('loads a file from disk', () => {
    const file = join(tmpdir(), `plan-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(good));
    expect(loadPlanFile(file).title).toBe('Auth');
  });
});
