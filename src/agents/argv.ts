import { InvalidInputError } from '../model/errors';

/**
 * Splits a command line into argv the way a POSIX shell splits words (quotes, backslashes), without
 * any of a shell's other powers: no `;`, `|`, `$VAR`, globbing or redirection. What looks like shell
 * syntax stays a plain argument.
 */
export function splitArgv(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1] as string)) word += command[++i];
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 < command.length) word += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new InvalidInputError(`unterminated ${quote} quote in "${command}"`, '--agent-command');
  if (inWord) words.push(word);
  if (words.length === 0) throw new InvalidInputError('the command is empty', '--agent-command');
  return words;
}

/** Replaces `{name}` placeholders inside each argument (after splitting, so values never re-split). */
export function fillPlaceholders(argv: string[], values: Record<string, string>): string[] {
  return argv.map((arg) => arg.replace(/\{([a-z_]+)\}/g, (m, name: string) => values[name] ?? m));
}
