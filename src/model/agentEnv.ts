import { z } from 'zod';
import { redactSecrets } from '../agents/redact';

/**
 * Environment for the agent process. Plain settings travel in the request (`--env KEY=VALUE`) and so
 * in workflow history; secrets must not: they come from the worker's side (its own environment, or
 * the file NIGHTSHIFT_AGENT_ENV_FILE names), so this module refuses values that look like one.
 * Dependency-free: workflows validate requests with the same schema.
 */

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Set by the session itself; a request cannot replace them. */
export const RESERVED_ENV_PREFIX = 'NIGHTSHIFT_';

export const SECRET_HINT =
  'Hand secrets to agents from the worker side: the worker\'s own environment, or a file named by NIGHTSHIFT_AGENT_ENV_FILE (`nightshift worker --agent-env-file FILE`), which never enters workflow history. See docs/agents.md, "Agent environment and secrets".';

/** Why `KEY=VALUE` cannot travel in a request, or undefined when it can. */
export function envProblem(key: string, value: string): string | undefined {
  if (!ENV_NAME.test(key)) return `"${key}" is not a valid environment variable name (letters, digits and _, not starting with a digit)`;
  if (key.startsWith(RESERVED_ENV_PREFIX)) return `${key}: NIGHTSHIFT_* variables are set by Nightshift for each session`;
  if (value.includes('\0')) return `${key}: the value contains a NUL byte`;
  // The redactor knows secret shapes (sk-..., ghp_..., AKIA...) and secret names (API_KEY=, *_TOKEN=, PASSWORD=).
  const line = `${key}=${value}`;
  if (redactSecrets(line) !== line || redactSecrets(value) !== value) {
    return `${key}: looks like a secret, and requests are stored in workflow history`;
  }
  return undefined;
}

/** The `env` record of an agent spec: valid names, no secrets. */
export const AgentEnvSchema = z.record(z.string(), z.string()).superRefine((env, ctx) => {
  for (const [key, value] of Object.entries(env)) {
    const problem = envProblem(key, value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [key] });
  }
});
export type AgentEnv = z.infer<typeof AgentEnvSchema>;

export interface EnvParseResult {
  env: Record<string, string>;
  /** One message per refused entry, naming it. */
  problems: string[];
}

/** `--env KEY=VALUE` flags (repeatable) into a record; a later KEY wins. */
export function parseEnvFlags(flags: readonly string[]): EnvParseResult {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) {
      problems.push(`"${flag}" is not KEY=VALUE`);
      continue;
    }
    const key = flag.slice(0, eq);
    const value = flag.slice(eq + 1);
    const problem = envProblem(key, value);
    if (problem) problems.push(problem);
    else env[key] = value;
  }
  return { env, problems };
}

export interface EnvFileProblem {
  line: number;
  message: string;
}

/**
 * A dotenv-style file: `KEY=VALUE` lines, `#` comments, blank lines, an optional `export ` prefix,
 * values in single quotes (literal) or double quotes (`\n`, `\"`, `\\` escapes). No interpolation.
 * Secrets are expected here, so only names are checked.
 */
export function parseEnvFile(text: string): { env: Record<string, string>; problems: EnvFileProblem[] } {
  const env: Record<string, string> = {};
  const problems: EnvFileProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      problems.push({ line: i + 1, message: 'expected KEY=VALUE' });
      return;
    }
    const key = m[1] as string;
    if (!ENV_NAME.test(key)) {
      problems.push({ line: i + 1, message: `"${key}" is not a valid environment variable name` });
      return;
    }
    let value = m[2] as string;
    if (value.startsWith("'")) {
      const end = value.indexOf("'", 1);
      if (end < 0) return void problems.push({ line: i + 1, message: `${key}: unterminated ' quote` });
      value = value.slice(1, end);
    } else if (value.startsWith('"')) {
      const end = /^"((?:[^"\\]|\\.)*)"/.exec(value);
      if (!end) return void problems.push({ line: i + 1, message: `${key}: unterminated " quote` });
      value = (end[1] as string).replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    env[key] = value;
  });
  return { env, problems };
}
