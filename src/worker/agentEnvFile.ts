import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidDocumentError, NotFoundError } from '../model/errors';
import { parseEnvFile } from '../model/agentEnv';

/** The variable naming the worker-side env file for agents (`nightshift worker --agent-env-file` sets it too). */
export const AGENT_ENV_FILE_VAR = 'NIGHTSHIFT_AGENT_ENV_FILE';

/** The env file this worker reads: the flag, else NIGHTSHIFT_AGENT_ENV_FILE, else none. */
export function agentEnvFilePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = flag ?? env[AGENT_ENV_FILE_VAR]?.trim();
  return path ? resolve(path) : undefined;
}

/**
 * Reads the worker's agent env file: variables merged into every agent's environment on this worker
 * and never sent to Temporal (the way to hand agents API keys). A bad line is refused with its number,
 * so a worker never starts with half its secrets.
 */
export function loadAgentEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NotFoundError(`agent env file ${path} cannot be read: ${(err as Error).message}`, `Fix the path in --agent-env-file or ${AGENT_ENV_FILE_VAR}.`);
  }
  const { env, problems } = parseEnvFile(text);
  if (problems.length > 0) {
    throw new InvalidDocumentError(
      path,
      problems.map((p) => `line ${p.line}: ${p.message}`),
      'Each line is KEY=VALUE (optionally `export KEY=VALUE`, quoted values, # comments).',
    );
  }
  return env;
}

/** Each value of the env file: transcripts and progress lines mask them even when no pattern knows their shape. */
export function secretValues(env: Record<string, string>): string[] {
  return [...new Set(Object.values(env).filter((v) => v.length >= 6))].sort((a, b) => b.length - a.length);
}

/** A function that replaces every occurrence of the given values with `[REDACTED]`. */
export function valueMasker(values: readonly string[]): (text: string) => string {
  if (values.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const v of values) if (out.includes(v)) out = out.split(v).join('[REDACTED]');
    return out;
  };
}

/** Every string inside a plain-JSON value, masked: for results that go into workflow history. */
export function maskStrings<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskStrings(v, mask)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskStrings(v, mask)])) as T;
  }
  return value;
}
