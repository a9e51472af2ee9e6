import { githubRepo } from '../../../src/activities/deliver';
import { buildSummary, deliveryLine, lastUrl, prBody, prTitle } from '../../../src/model/delivery';
import { BuildRequestSchema } from '../../../src/model/request';
import { addDevNote, initialState } from '../../../src/workflows/build/state';
import { samplePlan } from '../../support/repo';

function completedState() {
  const request = BuildRequestSchema.parse({ label: 'auth', repo: '/src/app', plan: samplePlan(3) });
  const s = initialState(request, { workflowId: 'build-auth', runId: 'r1' }, '2026-12-02T01:00:00Z');
  s.workspace = { path: '/home/w/auth', branch: 'nightshift/auth' };
  s.checkpoints[0]!.status = 'completed';
  s.checkpoints[0]!.commit = 'aaaaaaaaaaaaaaaa';
  s.checkpoints[0]!.push = { remote: 'origin', commit: 'aaaaaaaaaaaaaaaa', pushed: true };
  s.checkpoints[1]!.status = 'completed';
  s.checkpoints[1]!.commit = 'bbbbbbbbbbbbbbbb';
  s.checkpoints[1]!.verifyAttempts = 2;
  s.checkpoints[2]!.status = 'completed';
  s.checkpoints[2]!.commit = 'cccccccccccccccc';
  s.sessions = 4;
  s.spentUsd = 1.23456;
  s.status = 'completed';
  return s;
}

describe('the summary and pull request body, from workflow state', () => {
  it('a clean build is a ready pull request listing checkpoints, commits, push and verification', () => {
    const summary = buildSummary(completedState());
    expect(summary.needsReview).toBe(false);
    expect(summary.costUsd).toBe(1.2346);
    const body = prBody({ ...summary, webUi: 'http://ui/namespaces/default/workflows/build-auth/r1/history' });
    expect(prTitle(summary)).toBe('Sample plan with 3 checkpoints (nightshift auth)');
    expect(body).toContain('- **1. Step 1**: completed `aaaaaaaaaa` · pushed to origin');
    expect(body).toContain('  - verification: passed after 2 failed run(s): `test -d work`');
    expect(body).toContain('- sessions: 4');
    expect(body).toContain('- cost: $1.23');
    expect(body).toContain('- Web UI: http://ui/namespaces/default/workflows/build-auth/r1/history');
    expect(body).not.toContain('Draft');
    expect(body).not.toContain('## DevNotes');
  });

  it('an overridden verification, an overridden group or a skipped checkpoint makes it a draft', () => {
    const overridden = completedState();
    addDevNote(overridden, 'decision', 'verification overridden: flaky', { type: 'checkpoint', ref: '2' }, 'now');
    const s1 = buildSummary(overridden);
    expect(s1.needsReview).toBe(true);
    expect(s1.checkpoints[1]?.verification.overridden).toBe(true);
    expect(prBody(s1)).toContain('verification: overridden after 2 failed run(s)');
    expect(prBody(s1)).toContain('- **decision** (checkpoint 2): verification overridden: flaky');

    const group = completedState();
    group.checkpoints[0]!.taskGroups[0]!.status = 'overridden';
    expect(buildSummary(group).needsReview).toBe(true);
    expect(prBody(buildSummary(group))).toContain('task group 1.1: overridden by a person');

    const skipped = completedState();
    skipped.checkpoints[2]!.status = 'skipped';
    skipped.checkpoints[2]!.commit = null;
    expect(buildSummary(skipped).needsReview).toBe(true);
    expect(prBody(buildSummary(skipped))).toContain('- **3. Step 3**: skipped\n  - verification: skipped');
  });

  it('an unpushed checkpoint says why', () => {
    const s = completedState();
    s.checkpoints[0]!.push = { remote: 'origin', commit: 'a', pushed: false, note: 'remote gone' };
    expect(prBody(buildSummary(s))).toContain('· not pushed (remote gone)');
  });
});

describe('delivery helpers', () => {
  it('takes the last URL a command printed', () => {
    expect(lastUrl('uploading\nsee https://a.test/1\nthen https://b.test/2 done\nbye\n')).toBe('https://b.test/2');
    expect(lastUrl('http://x.test/y')).toBe('http://x.test/y');
    expect(lastUrl('no link here\n')).toBeNull();
  });

  it('knows GitHub remotes', () => {
    expect(githubRepo('https://github.com/acme/app.git')).toBe('acme/app');
    expect(githubRepo('git@github.com:acme/app.git\n')).toBe('acme/app');
    expect(githubRepo('ssh://git@github.com/acme/app')).toBe('acme/app');
    expect(githubRepo('https://gitlab.com/acme/app.git')).toBeNull();
    expect(githubRepo('/srv/git/app.git')).toBeNull();
  });

  it('says the delivery in one line', () => {
    expect(deliveryLine({ state: 'delivered', via: 'pr', url: 'https://github.com/a/b/pull/1', draft: true })).toBe('delivery: https://github.com/a/b/pull/1 (draft pull request)');
    expect(deliveryLine({ state: 'delivered', via: 'command', url: null })).toBe('delivery: (no URL printed) (delivery command)');
    expect(deliveryLine({ state: 'failed', via: 'pr', url: null, error: 'gh pr create: exit 1' })).toBe('delivery: failed: gh pr create: exit 1');
    expect(deliveryLine(null)).toBeNull();
  });
});
