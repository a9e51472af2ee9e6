import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { AgentEnvSchema } from './agentEnv';
import { InvalidDocumentError } from './errors';
import { jsonSyntaxProblem, lineOfPath } from './jsonText';
import type { Plan } from './plan';
import { AGENT_KINDS, type AgentSpecSchema } from './request';
import { formatPath } from './zodIssues';

/**
 * `.nightshift/config.json` in the target repository: what every build of that repository needs
 * (its setup, default verification, agent settings, plain environment, sandbox). Read by the CLI at
 * `start`/`add` time, so a mistake shows before anything is queued, and merged into the request;
 * flags win over the file. Unknown keys are refused (a typo would otherwise be silently ignored).
 */
export const REPO_CONFIG_PATH = join('.nightshift', 'config.json');

const SANDBOX_MODES = ['auto', 'bwrap', 'none'] as const;
const Step = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), run: z.string().min(1) }),
]);

export const RepoConfigSchema = z.strictObject({
  /** Commands (`sh -c`, in the new worktree) run once before the first session, e.g. `npm ci`. */
  setup: z.array(z.string().min(1, 'expected a command such as "npm ci"')).default([]),
  /** Verification steps for checkpoints whose plan gives none. */
  verify: z.array(Step).default([]),
  agent: z
    .strictObject({
      kind: z.enum(AGENT_KINDS),
      command: z.string().min(1),
      bin: z.string().min(1),
      model: z.string().min(1),
      maxTurns: z.number().int().positive(),
      permissionMode: z.string().min(1),
      allowedTools: z.array(z.string().min(1)),
      autoApprove: z.boolean(),
    })
    .partial()
    .optional(),
  /** Plain settings for the agent's environment; secrets are refused as `--env` refuses them. */
  env: AgentEnvSchema.optional(),
  sandbox: z
    .union([
      z.enum(SANDBOX_MODES),
      z.strictObject({ mode: z.enum(SANDBOX_MODES).optional(), network: z.boolean().optional() }),
    ])
    .optional(),
  /** The delivery command (like `--deliver`): receives the build's summary as JSON on stdin. */
  deliver: z.string().min(1).optional(),
  /** `checkpoint`: every build waits for `nightshift resume` after each checkpoint's commit (like `--gate checkpoint`). */
  gate: z.enum(['checkpoint', 'none']).optional(),
});
export type RepoConfig = z.output<typeof RepoConfigSchema>;

const HINT =
  'Fix the key named above in .nightshift/config.json (docs/files.md, "Repository config"), or remove the file.';

/** The repository's config, or null when it has none. Every problem names its key (and line) and the file. */
export function loadRepoConfig(repo: string): RepoConfig | null {
  const file = join(repo, REPO_CONFIG_PATH);
  if (!existsSync(file)) return null;
  return parseRepoConfig(readFileSync(file, 'utf8'), file);
}

export function parseRepoConfig(text: string, file: string): RepoConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidDocumentError(file, [jsonSyntaxProblem(err, text)], HINT);
  }
  const parsed = RepoConfigSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const multiline = text.trim().includes('\n');
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys] : issue.path;
    const line = multiline ? lineOfPath(text, path) : undefined;
    return `${formatPath(path)}: ${issue.message}${line ? ` (line ${line})` : ''}`;
  });
  throw new InvalidDocumentError(file, problems, HINT);
}

type AgentInput = z.input<typeof AgentSpecSchema>;

export interface ConfigMerge {
  agent: AgentInput;
  /** Whether `--agent` was given (its default would otherwise hide the file's `agent.kind`). */
  agentKindGiven: boolean;
  plan?: Plan | undefined;
  deliver?: string | undefined;
}

/**
 * The request's parts with the file's defaults under the flags. The file's agent settings apply to
 * its own agent kind only (a `--agent codex` build does not get claude's model); `env` and `sandbox`
 * apply to any agent; `verify` fills checkpoints that have no verification steps.
 */
export function mergeRepoConfig(
  config: RepoConfig | null,
  repo: string,
  given: ConfigMerge,
): { agent: AgentInput; plan?: Plan; setup: string[]; deliver?: string } {
  const deliver = given.deliver ?? config?.deliver;
  if (!config)
    return {
      agent: given.agent,
      ...(given.plan ? { plan: given.plan } : {}),
      setup: [],
      ...(deliver ? { deliver } : {}),
    };
  const fileAgent = config.agent ?? {};
  const kind = given.agentKindGiven ? given.agent.kind : (fileAgent.kind ?? given.agent.kind);
  const sameKind = fileAgent.kind === undefined || fileAgent.kind === kind;
  const { kind: _fileKind, ...fileSettings } = fileAgent;
  const bin =
    fileSettings.bin &&
    (fileSettings.bin.includes('/') && !isAbsolute(fileSettings.bin)
      ? resolve(repo, fileSettings.bin)
      : fileSettings.bin);
  const sandbox = typeof config.sandbox === 'string' ? { mode: config.sandbox } : (config.sandbox ?? {});
  const env = { ...(config.env ?? {}), ...(given.agent.env ?? {}) };
  const agent: AgentInput = {
    ...(sameKind ? { ...fileSettings, ...(bin ? { bin } : {}) } : {}),
    ...(sandbox.mode ? { sandbox: sandbox.mode } : {}),
    ...(sandbox.network === false ? { network: false } : {}),
    ...given.agent,
    ...(kind ? { kind } : {}),
    ...(Object.keys(env).length > 0 ? { env } : {}),
  };
  const plan =
    given.plan && config.verify.length > 0 ? withDefaultVerification(given.plan, config.verify) : given.plan;
  return { agent, ...(plan ? { plan } : {}), setup: config.setup, ...(deliver ? { deliver } : {}) };
}

function withDefaultVerification(plan: Plan, verify: RepoConfig['verify']): Plan {
  return {
    ...plan,
    checkpoints: plan.checkpoints.map((c) =>
      c.testing_strategy.verification_steps.length > 0
        ? c
        : { ...c, testing_strategy: { ...c.testing_strategy, verification_steps: [...verify] } },
    ),
  };
}

/** Whether `--NAME` was on the command line (flags with defaults cannot tell otherwise). */
export function flagGiven(argv: readonly string[], name: string): boolean {
  return argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
}
