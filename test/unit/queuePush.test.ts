import { EnqueueRequestSchema } from '../../src/model/payloads';
import { initialQueueState, prepareEnqueue } from '../../src/workflows/queue/state';
import { samplePlan } from '../support/repo';

const entry = {
  name: 'Hosts',
  label: 'hosts',
  description: 'Build the hosts feature with a worker per machine that pushes every checkpoint to the remote',
  criteria: ['every checkpoint commit is on the remote branch'],
  priority: 'high' as const,
  addedAt: '2026-02-06T15:00:00.000Z',
  repo: '/tmp/repo',
  kind: 'plan' as const,
  plan: samplePlan(1),
};

describe('nightshift add --remote / --no-push reach the build', () => {
  it('the queued build request carries the remote and push choice; by default it pushes to origin', () => {
    const chosen = prepareEnqueue(initialQueueState('q'), { entry, remote: 'upstream', push: false });
    expect('item' in chosen && chosen.item.run.kind === 'plan' && chosen.item.run.request).toMatchObject({ remote: 'upstream', push: false });
    const plain = prepareEnqueue(initialQueueState('q'), { entry });
    expect('item' in plain && plain.item.run.kind === 'plan' && plain.item.run.request).toMatchObject({ remote: 'origin', push: true });
    expect(EnqueueRequestSchema.safeParse({ entry, remote: 'upstream', push: false }).success).toBe(true);
  });
});
