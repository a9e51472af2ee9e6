import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gitIn, tempDir } from './repo';

/** A bare repository as the repo's `origin`, with `main` pushed to it (so a takeover can clone the base). */
export function addOrigin(repo: string): string {
  const origin = join(tempDir('origin'), 'origin.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  gitIn(repo, 'remote', 'add', 'origin', origin);
  gitIn(repo, 'push', '-q', 'origin', 'main');
  return origin;
}

/** The Nightshift-Checkpoint trailers of the commits on a branch of a (bare) repository, newest first. */
export function checkpointTrailers(gitDir: string, branch: string): string[] {
  const out = execFileSync('git', ['--git-dir', gitDir, 'log', '--format=%(trailers:key=Nightshift-Checkpoint,valueonly)', `main..${branch}`], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** The commit a branch of a (bare) repository points at, or '' when it has no such branch. */
export function branchHead(gitDir: string, branch: string): string {
  try {
    return execFileSync('git', ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}
