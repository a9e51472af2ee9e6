import { LoopRequestSchema } from '../../../src/model/loopRequest';
import { BuildRequestSchema } from '../../../src/model/request';
import { QueueInitSchema } from '../../../src/workflows/queue/queue';
import { ReportRequestSchema } from '../../../src/workflows/report/report';

/**
 * Workflows parse their input again (a request written by hand for `temporal workflow start`, a
 * continued-as-new run, a replay): parsing what the CLI already parsed must change nothing.
 */
const minimalBuild = {
  label: 'todo-app',
  repo: '/src/todo',
  plan: { title: 'Todo', checkpoints: [{ id: 1, title: 'Storage', task_groups: [{ id: '1.1', title: 'Model', tasks: [{ id: 1, description: 'add a model' }] }] }] },
};

describe('workflow inputs parse to themselves', () => {
  it('a minimal build request gets the CLI defaults, and parsing it again changes nothing', () => {
    const once = BuildRequestSchema.parse(minimalBuild);
    expect(once.agent).toEqual({ kind: 'scripted' });
    expect(once.policy).toMatchObject({ maxAttempts: 3, retryInterval: 300_000, stallTimeout: 14_400_000 });
    expect(once.plan.checkpoints[0]?.id).toBe('1');
    expect(BuildRequestSchema.parse(once)).toEqual(once);
    expect(BuildRequestSchema.parse(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  it('durations written as text become milliseconds once and stay so', () => {
    const once = BuildRequestSchema.parse({ ...minimalBuild, policy: { retryInterval: '5m', stallTimeout: '1h30m' } });
    expect(once.policy.retryInterval).toBe(300_000);
    expect(once.policy.stallTimeout).toBe(5_400_000);
    expect(BuildRequestSchema.parse(once).policy).toEqual(once.policy);
  });

  it('a loop request and a queue input parse to themselves', () => {
    const loop = LoopRequestSchema.parse({ taskName: 'docs', task: 'write the docs', repo: '/src/todo', policy: { retryInterval: '2s' } });
    expect(LoopRequestSchema.parse(loop)).toEqual(loop);
    const queue = QueueInitSchema.parse({ name: 'default', policy: { timeZone: 'UTC', retryInterval: '1m' } });
    expect(queue.policy?.retryInterval).toBe(60_000);
    expect(QueueInitSchema.parse(queue)).toEqual(queue);
    expect(ReportRequestSchema.parse(undefined)).toEqual({});
  });

  it.each([
    ['plan', { ...minimalBuild, plan: undefined }],
    ['label', { ...minimalBuild, label: 'Bad Label' }],
    ['policy.retryInterval', { ...minimalBuild, policy: { retryInterval: 'soon' } }],
    ['agent.kind', { ...minimalBuild, agent: { kind: 'robot' } }],
  ])('a malformed build request names %s', (field, raw) => {
    const parsed = BuildRequestSchema.safeParse(raw);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });
});
