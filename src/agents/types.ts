import type { DevNoteCategory } from '../model/devNote';

/** What an adapter learns from an agent's output, line by line. */
export interface ParsedOutput {
  devNotes: { category: DevNoteCategory; content: string }[];
  promiseSeen: boolean;
  lastLine: string | null;
}

export interface OutputParser {
  line(text: string, stream: 'stdout' | 'stderr'): void;
  result(): ParsedOutput;
}

export interface InvocationContext {
  prompt: string;
  promptFile: string;
  completionPromise: string;
}

/** One agent CLI: how to invoke it (argv, never a shell) and how to read what it prints. */
export interface AgentAdapter {
  argv(ctx: InvocationContext): string[];
  parser(ctx: InvocationContext): OutputParser;
}
