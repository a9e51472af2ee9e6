import { liveFromView } from '../../src/activities/files/liveStatus';
import { renderReport } from '../../src/activities/files/report';

describe('the nightly report says whether the remote has each checkpoint commit', () => {
  it('marks pushed and unpushed commits, and says nothing for builds that do not push', () => {
    const live = liveFromView({
      planTitle: 'Hosts',
      checkpoints: [
        { commit: 'aaaaaaaaaaaa1111', push: { remote: 'origin', commit: 'aaaaaaaaaaaa1111', pushed: true } },
        { commit: 'bbbbbbbbbbbb2222', push: { remote: 'origin', commit: 'bbbbbbbbbbbb2222', pushed: false, note: 'skip: later' } },
        { commit: 'cccccccccccc3333', push: null },
      ],
    });
    expect(live.pushes).toEqual({ aaaaaaaaaaaa1111: { remote: 'origin', pushed: true }, bbbbbbbbbbbb2222: { remote: 'origin', pushed: false } });
    const md = renderReport(
      { date: '2026-02-06', timeZone: 'UTC' },
      [{ label: 'h', workflowId: 'build-h', status: 'completed', startTime: '2026-02-06T10:00:00Z', closeTime: '2026-02-06T11:00:00Z', live }],
      [],
      new Date('2026-02-06T23:00:00Z'),
    );
    expect(md).toContain('   - aaaaaaaaaaaa (on origin)\n   - bbbbbbbbbbbb (NOT on origin)\n   - cccccccccccc\n');
    expect(liveFromView({ checkpoints: [{ commit: 'x' }] }).pushes).toBeUndefined();
  });
});
