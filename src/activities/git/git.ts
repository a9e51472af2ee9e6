import { execFile } from 'node:child_process';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git with argv (no shell); returns the result instead of throwing so callers decide. */
export function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

export async function gitOk(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await git(cwd, args, env);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout.trim();
}

/** Commits must work on machines where git has no identity configured (CI, fresh containers). */
export async function identityEnv(cwd: string): Promise<NodeJS.ProcessEnv> {
  // One process for both keys: `user.email <value>` and `user.name <value>` lines, or exit 1 for neither.
  const r = await git(cwd, ['config', '--get-regexp', '^user\\.(email|name)$']);
  const set = new Set(r.stdout.split('\n').filter((line) => /^user\.(email|name) \S/.test(line)).map((line) => line.slice(5, line.indexOf(' '))));
  const env: NodeJS.ProcessEnv = {};
  if (!set.has('email')) env.GIT_AUTHOR_EMAIL = env.GIT_COMMITTER_EMAIL = 'nightshift@localhost';
  if (!set.has('name')) env.GIT_AUTHOR_NAME = env.GIT_COMMITTER_NAME = 'Nightshift';
  return env;
}
