import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitArgv } from '../agents/argv';
import { redactSecrets } from '../agents/redact';
import { runUrl } from '../config/connection';
import { type BuildSummary, type DeliverInput, lastUrl, prBody, prTitle } from '../model/delivery';
import type { Delivery } from '../workflows/build/state';
import { git } from './git/git';

const COMMAND_TIMEOUT_MS = 5 * 60_000;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program could not be started (not installed). */
  missing: boolean;
}

function run(argv: string[], cwd: string, stdin?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const [program, ...args] = argv;
    // argv, never a shell: what the person or the plan wrote is not interpreted.
    const child = spawn(program as string, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GH_PROMPT_DISABLED: '1' } });
    let stdout = '';
    let stderr = '';
    let missing = false;
    child.stdout.on('data', (c: Buffer) => (stdout = (stdout + c.toString('utf8')).slice(-200_000)));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-200_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.on('error', (err: NodeJS.ErrnoException) => {
      missing = err.code === 'ENOENT';
      stderr += err.message;
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: missing ? null : code, stdout, stderr, missing });
    });
  });
}

function tail(text: string): string {
  const lines = redactSecrets(text).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(-3).join(' | ').slice(0, 500);
}

/** `github.com/OWNER/NAME` from an https or ssh remote URL, or null for any other host. */
export function githubRepo(url: string): string | null {
  const m = /github\.com[:/]+([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : null;
}

/** The branch the pull request goes to: the build's base (without its remote's prefix), or the repository's branch. */
async function baseBranch(summary: BuildSummary, remote: string): Promise<string | null> {
  if (summary.base) return summary.base.startsWith(`${remote}/`) ? summary.base.slice(remote.length + 1) : summary.base;
  const r = await git(summary.repo, ['symbolic-ref', '--short', '-q', 'HEAD']);
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/**
 * Delivers a completed build: with a delivery command, that command reads the summary (JSON) on
 * stdin; otherwise, with gh installed and logged in and a GitHub remote, the branch is pushed and a
 * pull request opened (a draft when a person overrode or skipped something). What cannot deliver is
 * said in the result (`failed`, `none`), never thrown: a delivery never fails a completed build.
 */
export async function deliverBuild(input: DeliverInput): Promise<Delivery> {
  const summary: BuildSummary = { ...input.summary, webUi: runUrl(input.namespace, input.workflowId, input.runId) };
  const at = new Date().toISOString();
  if (input.command) {
    const argv = splitArgv(input.command);
    const r = await run(argv, input.worktree, `${JSON.stringify(summary, null, 2)}\n`);
    if (r.code !== 0) {
      const why = r.missing ? `${argv[0]} was not found` : `exit ${r.code ?? 'killed'}: ${tail(r.stderr || r.stdout)}`;
      return { state: 'failed', via: 'command', url: null, error: `${input.command}: ${why}`, at };
    }
    return { state: 'delivered', via: 'command', url: lastUrl(r.stdout), at };
  }
  return pullRequest(input, summary, at);
}

async function pullRequest(input: DeliverInput, summary: BuildSummary, at: string): Promise<Delivery> {
  const none = (why: string): Delivery => ({ state: 'none', via: 'none', url: null, error: why, at });
  const failed = (why: string): Delivery => ({ state: 'failed', via: 'pr', url: null, error: why, at });
  const auth = await run(['gh', 'auth', 'status'], input.worktree);
  if (auth.missing) return none('gh is not installed; give --deliver CMD to deliver another way');
  if (auth.code !== 0) return none('gh is not logged in (gh auth login)');
  const url = await git(input.worktree, ['config', '--get', `remote.${input.remote}.url`]);
  if (url.code !== 0) return none(`the repository has no remote ${input.remote}`);
  const repo = githubRepo(url.stdout);
  if (!repo) return none(`remote ${input.remote} is not on GitHub`);
  const base = await baseBranch(summary, input.remote);
  if (!base) return failed('no base branch: the repository is on a detached HEAD and the build had no --base');
  // The checkpoints are pushed as they are made when the build pushes; the branch's tip is pushed here in any case.
  const pushed = await git(input.worktree, ['push', '--quiet', input.remote, `HEAD:refs/heads/${summary.branch}`], {
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
  });
  if (pushed.code !== 0) return failed(`push of ${summary.branch} to ${input.remote}: ${tail(pushed.stderr || pushed.stdout)}`);
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-pr-'));
  try {
    const bodyFile = join(dir, 'body.md');
    writeFileSync(bodyFile, prBody(summary));
    const argv = ['gh', 'pr', 'create', '--repo', repo, '--head', summary.branch, '--base', base, '--title', prTitle(summary), '--body-file', bodyFile];
    if (summary.needsReview) argv.push('--draft');
    const r = await run(argv, input.worktree);
    const draft = summary.needsReview;
    if (r.code === 0) return { state: 'delivered', via: 'pr', url: lastUrl(r.stdout), draft, at };
    // A retried delivery finds its pull request already there: that is the delivery.
    const existing = /already exists[^\n]*?(https:\/\/\S+)/.exec(`${r.stderr}\n${r.stdout}`);
    if (existing) return { state: 'delivered', via: 'pr', url: existing[1] as string, draft, at };
    return failed(`gh pr create: exit ${r.code}: ${tail(r.stderr || r.stdout)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
