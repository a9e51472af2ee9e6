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
  const [email, name] = await Promise.all([git(cwd, ['config', 'user.email']), git(cwd, ['config', 'user.name'])]);
  const env: NodeJS.ProcessEnv = {};
  if (email.code !== 0 || !email.stdout.trim()) {
    env.GIT_AUTHOR_EMAIL = env.GIT_COMMITTER_EMAIL = 'nightshift@localhost';
  }
  if (name.code !== 0 || !name.stdout.trim()) {
    env.GIT_AUTHOR_NAME = env.GIT_COMMITTER_NAME = 'Nightshift';
  }
  return env;
}
