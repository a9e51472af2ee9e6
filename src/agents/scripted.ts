import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { textParser } from './textParser';
import type { AgentAdapter } from './types';

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
    parser: (ctx) => textParser(ctx.completionPromise),
  };
}
