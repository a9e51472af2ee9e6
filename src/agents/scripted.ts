import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SCRIPTED_COST, SCRIPTED_FAILURE, ScriptedFailureSchema } from './scripted/scenario';
import { textParser } from './textParser';
import type { AgentAdapter, OutputParser } from './types';

/** The package root, found from this file whether it runs from `src/` (tests) or `dist/src/`. */
export function packageRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** The scripted agent's executable: the compiled `dist/src/agents/scripted/main.js`. */
export function scriptedAgentPath(): string {
  const path = join(packageRoot(), 'dist', 'src', 'agents', 'scripted', 'main.js');
  if (!existsSync(path)) throw new Error(`the scripted agent is not built (${path}); run \`npm run build\``);
  return path;
}

/** The built-in deterministic agent (a real child process) used by the demo, tests and benchmarks. */
export function scriptedAgent(scenario?: string): AgentAdapter {
  return {
    name: 'scripted',
    supportsResume: false,
    argv: (ctx) => [process.execPath, scriptedAgentPath(), '--prompt-file', ctx.promptFile, ...(scenario ? ['--scenario', scenario] : [])],
    parser: (ctx) => scriptedParser(ctx.completionPromise),
  };
}

/**
 * Plain text, plus the failure line of a `fail` action, read as a real agent's parser reads its
 * agent's error: a failure class, the message naming the fix, a reset time, a gone session.
 */
export function scriptedParser(completionPromise: string, now: () => number = Date.now): OutputParser {
  const text = textParser(completionPromise);
  let failure: ReturnType<typeof ScriptedFailureSchema.safeParse>['data'];
  let costUsd: number | null = null;
  return {
    line(line, stream) {
      // `print: "nightshift-scripted-cost 0.25"`: the session's spend, as a real agent reports its usage.
      if (line.startsWith(SCRIPTED_COST) && Number.isFinite(Number(line.slice(SCRIPTED_COST.length)))) {
        costUsd = (costUsd ?? 0) + Number(line.slice(SCRIPTED_COST.length));
        return;
      }
      if (!line.startsWith(SCRIPTED_FAILURE)) return text.line(line, stream);
      let raw: unknown;
      try {
        raw = JSON.parse(line.slice(SCRIPTED_FAILURE.length));
      } catch {
        return text.line(line, stream);
      }
      const parsed = ScriptedFailureSchema.safeParse(raw);
      if (!parsed.success) return text.line(line, stream);
      failure = parsed.data;
      text.line(parsed.data.message, stream);
    },
    result() {
      const out = costUsd === null ? text.result() : { ...text.result(), costUsd };
      if (!failure) return out;
      const resetAt = failure.resetInSeconds === undefined ? null : new Date(now() + failure.resetInSeconds * 1000).toISOString();
      return { ...out, isError: true, failureClass: failure.class, failureMessage: failure.message, resetAt, sessionGone: failure.sessionGone === true };
    },
  };
}
