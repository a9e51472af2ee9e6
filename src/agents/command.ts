import { splitArgv, fillPlaceholders } from './argv';
import { textParser } from './textParser';
import type { AgentAdapter } from './types';

/** Any program: `--agent-command "<program> <args>"`, with `{prompt_file}` replaced by the prompt's path. */
export function commandAgent(command: string): AgentAdapter {
  const words = splitArgv(command);
  return {
    name: 'command',
    supportsResume: false,
    argv: (ctx) => fillPlaceholders(words, { prompt_file: ctx.promptFile }),
    parser: (ctx) => textParser(ctx.completionPromise),
  };
}
