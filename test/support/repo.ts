import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): string {
  const base = process.env.NIGHTSHIFT_TEST_DIR ?? tmpdir();
  return mkdtempSync(join(base, `${prefix}-`));
}

export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  }).trim();
}

/** A real git repository with one commit on `main`. */
export function makeRepo(): string {
  const dir = tempDir('repo');
  gitIn(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README.md'), '# target repo\n');
  gitIn(dir, 'add', '.');
  gitIn(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

export function writeJson(file: string, value: unknown): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/** A plan of N checkpoints, one task group each, with `verify` as every checkpoint's verification. */
export function samplePlan(n = 3, verify: string[] = ['test -d work']) {
  return {
    title: `Sample plan with ${n} checkpoints`,
    checkpoints: Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      title: `Step ${i + 1}`,
      goal: `Do step ${i + 1}`,
      task_groups: [{ id: `${i + 1}.1`, title: `Group ${i + 1}.1`, tasks: [{ id: `${i + 1}.1.1`, description: `Write file ${i + 1}` }] }],
      testing_strategy: { verification_steps: verify },
    })),
  };
}

/** Subjects of the commits a build made on `nightshift/<label>`, newest first. */
export function branchSubjects(repo: string, label: string): string[] {
  return gitIn(repo, 'log', '--format=%s', `main..nightshift/${label}`).split('\n').filter(Boolean);
}

/** True once a file exists and has something in it (a pid file the agent wrote, say). */
export function hasContent(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').trim().length > 0;
  } catch {
    return false;
  }
}
