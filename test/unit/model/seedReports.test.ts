import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBuildRequest } from '../../../src/client/builds';
import {
  filesOfBuild,
  type ReportKind,
  renderBuildComplete,
  renderBuildStarted,
  renderCheckpointComplete,
  renderCheckpointPaused,
  renderVerificationFailed,
} from '../../../src/model/seedReports';
import { addDevNote, type BuildState, initialState } from '../../../src/workflows/build/state';

/** Seed 001's <user_output> templates, verbatim (test/fixtures/seed001-reports.md). */
const TEMPLATES = readFileSync(join(__dirname, '../../fixtures/seed001-reports.md'), 'utf8');

function template(kind: ReportKind): string {
  const m = new RegExp(`<!-- scenario: ${kind} -->\\n([\\s\\S]*?)(?=\\n<!-- scenario:|$)`).exec(TEMPLATES);
  if (!m?.[1]) throw new Error(`no template ${kind}`);
  return m[1].trim();
}

/**
 * The seed's fixed lines in order (headings, bold labels, list labels, fixed sentences), as regexes:
 * placeholders match any text, the slash command becomes `nightshift resume`, and lines other than
 * headings may go on (Nightshift adds the command for each option).
 */
function skeleton(kind: ReportKind): RegExp[] {
  return template(kind)
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\{\{[A-Z_]+\}\}$/.test(l.trim()) && l !== 'What would you like to do?' && !l.startsWith('(Will') && !l.startsWith('Run'))
    .map((l) => {
      const escaped = l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{\\\{[A-Z_]+\\\}\\\}/g, '.+?');
      return new RegExp(`^${escaped}${l.startsWith('#') ? '$' : ''}`, 'm');
    });
}

/** Every fixed line of the seed's template appears in the report, in the seed's order. */
function expectSeedShape(kind: ReportKind, report: string): void {
  let from = 0;
  for (const re of skeleton(kind)) {
    const rest = report.slice(from);
    const m = re.exec(rest);
    if (!m) throw new Error(`${kind}: no line matching ${re} after offset ${from} in:\n${report}`);
    from += m.index + m[0].length;
  }
}

function state(): BuildState {
  const plan = {
    title: 'Auth service',
    checkpoints: [
      {
        id: 1,
        title: 'User model',
        goal: 'A user table with hashed passwords',
        task_groups: [
          { id: '1.1', title: 'Schema', tasks: [{ id: '1.1.1', description: 'migration' }, { id: '1.1.2', description: 'model' }] },
          { id: '1.2', title: 'Hashing', tasks: [{ id: '1.2.1', description: 'bcrypt' }] },
        ],
        testing_strategy: { verification_steps: ['npm test', 'npm run lint'] },
      },
      {
        id: 2,
        title: 'Login endpoint',
        goal: 'POST /login returns a session token',
        task_groups: [{ id: '2.1', title: 'Route', tasks: [{ id: '2.1.1', description: 'handler' }] }],
        testing_strategy: { verification_steps: ['npm test'] },
      },
    ],
  };
  const request = parseBuildRequest({ label: 'auth', repo: '/tmp/repo', plan, gate: 'checkpoint' });
  const s = initialState(request, { workflowId: 'build-auth', runId: 'r1' }, '2026-12-01T00:00:00.000Z');
  s.workspace = { path: '/home/me/.nightshift/workspaces/auth', branch: 'nightshift/auth' };
  return s;
}

function completeFirst(s: BuildState): void {
  const cp = s.checkpoints[0]!;
  cp.status = 'completed';
  cp.commit = '4f2a9c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c';
  for (const g of cp.taskGroups) g.status = 'done';
  cp.verification = [
    { name: 'npm test', passed: true, exitCode: 0, timedOut: false },
    { name: 'npm run lint', passed: true, exitCode: 0, timedOut: false },
  ];
  cp.files = [
    { status: 'A', path: 'src/user.ts' },
    { status: 'M', path: 'package.json' },
  ];
  addDevNote(s, 'discovery', 'bcrypt needs node-gyp; used bcryptjs', { type: 'task', ref: '1.2' }, '2026-12-01T01:00:00.000Z');
}

describe('seed 001 reports', () => {
  it('build_started: "## Build Phase - Checkpoint N" with the goal and task counts', () => {
    const report = renderBuildStarted(state(), '1');
    expectSeedShape('build_started', report);
    expect(report).toContain('**Target**: Checkpoint 1: User model');
    expect(report).toContain('A user table with hashed passwords');
    expect(report).toContain('3 tasks in 2 task_groups');
  });

  it('checkpoint_complete: title, commit, tasks, verification, DevNotes, progress, next preview and `nightshift resume`', () => {
    const s = state();
    completeFirst(s);
    const report = renderCheckpointComplete(s, '1');
    expectSeedShape('checkpoint_complete', report);
    expect(report).toMatch(/^## Checkpoint 1 Complete ✅$/m);
    expect(report).toContain('**Title**: User model');
    expect(report).toContain('**Commit**: 4f2a9c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c');
    expect(report).toContain('**Tasks Completed**: 3/3');
    expect(report).toContain('- ✅ `npm test`');
    expect(report).toContain('- ✅ `npm run lint`');
    expect(report).toContain('- **discovery**: bcrypt needs node-gyp; used bcryptjs');
    expect(report).toContain('- Checkpoints completed: 1 (1/2)');
    expect(report).toContain('- Next: Checkpoint 2: Login endpoint — POST /login returns a session token');
    expect(report).toContain('Run `nightshift resume auth` to execute the next checkpoint.');
    expect(report).not.toContain('/session:build-background');
  });

  it('checkpoint_complete of an ungated build says it runs on, and of the last checkpoint that nothing is left', () => {
    const s = state();
    delete s.request.gate;
    completeFirst(s);
    expect(renderCheckpointComplete(s, '1')).toContain('The build runs the next checkpoint on its own');
    s.checkpoints[1]!.status = 'completed';
    expect(renderCheckpointComplete(s, '2')).toContain('- Next: none (this was the last checkpoint)');
  });

  it('checkpoint_paused: "## Build Paused ⏸️" with the exact position, the reason, its DevNotes and how to resume', () => {
    const s = state();
    completeFirst(s);
    s.position = { checkpoint: '1', taskGroup: '1.2' };
    const report = renderCheckpointPaused(s, 'Paused by request: lunch (nightshift pause).');
    expectSeedShape('checkpoint_paused', report);
    expect(report).toContain('**Session**: `auth`');
    expect(report).toContain('**Position**: Checkpoint 1, TaskGroup 1.2, Task 1.2.1');
    expect(report).toContain('Paused by request: lunch');
    expect(report).toContain('bcrypt needs node-gyp');
    expect(report).toContain('Run: `nightshift resume auth`');
    expect(report).toContain('(Will pick up from exactly this position)');
  });

  it('verification_failed: the failed steps with their output and the two options as commands', () => {
    const s = state();
    const report = renderVerificationFailed(s, '1', [{ name: 'npm test', passed: false, exitCode: 1, timedOut: false, outputTail: 'FAIL user.test.ts\nexpected 200' }]);
    expectSeedShape('verification_failed', report);
    expect(report).toContain('**Checkpoint**: 1 - User model');
    expect(report).toContain('- `npm test` (exit 1)');
    expect(report).toContain('expected 200');
    expect(report).toContain('1. **Override**: Continue anyway (adds DevNote documenting the override): `nightshift override auth --note');
    expect(report).toContain('2. **Pause**: Stop here to fix the issue manually in `/home/me/.nightshift/workspaces/auth`, then `nightshift retry auth`');
    expect(report).toContain('What would you like to do?');
  });

  it('build_complete: counts, files created/modified over every commit, DevNote highlights', () => {
    const s = state();
    completeFirst(s);
    const second = s.checkpoints[1]!;
    second.status = 'completed';
    second.commit = 'b'.repeat(40);
    second.files = [
      { status: 'M', path: 'src/user.ts' },
      { status: 'A', path: 'src/login.ts' },
      { status: 'D', path: 'old.txt' },
    ];
    addDevNote(s, 'decision', 'verification overridden: flaky network test', { type: 'checkpoint', ref: '2' }, '2026-12-01T02:00:00.000Z');
    const report = renderBuildComplete(s);
    expectSeedShape('build_complete', report);
    expect(report).toContain('**Topic**: Auth service');
    expect(report).toContain('- Checkpoints completed: 2');
    expect(report).toContain('- DevNotes captured: 2');
    // Created in checkpoint 1 and modified in 2 is still a created file.
    expect(report).toContain('- created: `src/user.ts`');
    expect(report).toContain('- created: `src/login.ts`');
    expect(report).toContain('- modified: `package.json`');
    expect(report).toContain('- deleted: `old.txt`');
    // Decisions first.
    expect(report.indexOf('verification overridden')).toBeLessThan(report.indexOf('bcrypt needs'));
    expect(filesOfBuild(s).map((f) => f.path)).toEqual(['old.txt', 'package.json', 'src/login.ts', 'src/user.ts']);
  });
});
