import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InvocationContext, OutputParser, ParsedOutput } from '../../../src/agents/types';

/** Shared by the agent parser tests: fixtures, a fixed clock, and a way to pipe text through a parser. */

export const NOW = new Date('2025-11-21T10:00:00.000Z');
export const clock = (): Date => NOW;

export function fixture(name: string): string {
  return readFileSync(join(__dirname, '..', '..', 'fixtures', 'agents', name), 'utf8');
}

export function feed(
  parser: OutputParser,
  text: string,
  stream: 'stdout' | 'stderr' = 'stdout',
): ParsedOutput {
  for (const line of text.split('\n')) parser.line(line, stream);
  return parser.result();
}

export function context(overrides: Partial<InvocationContext> = {}): InvocationContext {
  return {
    prompt: 'Build the plan',
    promptFile: '/tmp/nightshift/prompt.md',
    completionPromise: 'COMPLETE',
    ...overrides,
  };
}

/** One JSON event per line, as the stream-json agents print them. */
export function jsonl(...events: unknown[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n');
}
