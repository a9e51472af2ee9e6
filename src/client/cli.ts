import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type z } from 'zod';
import { InvalidInputError } from '../model/errors';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** The rest of `--help`: options and examples. */
  help: string;
  run(argv: string[]): Promise<number>;
}

export interface Parsed<T> {
  options: T;
  positionals: string[];
}

/**
 * Parses argv with node's parseArgs, then validates with the command's zod schema at the boundary,
 * so every command gets the same errors: the flag that is wrong and what it expected.
 */
export function parseOptions<S extends z.ZodType>(
  command: string,
  argv: string[],
  spec: OptionSpec,
  schema: S,
): Parsed<z.infer<S>> {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true }));
  } catch (err) {
    throw new InvalidInputError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''), undefined, `See \`nightshift ${command} --help\`.`);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : undefined;
    throw new InvalidInputError(issue?.message ?? 'invalid options', flag, `See \`nightshift ${command} --help\`.`);
  }
  return { options: parsed.data, positionals };
}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function printHelp(command: Command): void {
  process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n\n${command.help.trim()}\n`);
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function oneLabel(command: string, positionals: string[]): string {
  const [label, ...rest] = positionals;
  if (!label) throw new InvalidInputError('a build LABEL is required', undefined, `Usage: nightshift ${command} LABEL (see \`nightshift status\` for labels).`);
  if (rest.length > 0) throw new InvalidInputError(`unexpected arguments: ${rest.join(' ')}`, undefined, `See \`nightshift ${command} --help\`.`);
  return label;
}
