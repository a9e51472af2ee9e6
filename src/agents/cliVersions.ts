import { InvalidInputError } from '../model/errors';

/** The agent CLIs Nightshift installs itself (pinned) when asked to: tests, `nightshift doctor`. */
export const AGENT_CLI_NAMES = ['claude', 'codex', 'gemini', 'aider'] as const;
export type AgentCliName = (typeof AGENT_CLI_NAMES)[number];

export interface AgentCliPin {
  /** `npm` packages install with npm into a prefix; `pypi` ones into a Python venv. */
  registry: 'npm' | 'pypi';
  package: string;
  /** The version the end-to-end tests run against. */
  version: string;
  /** The command the package provides. */
  bin: string;
  /** Set to another version to install and test that one instead (e.g. `NIGHTSHIFT_CODEX_VERSION=0.172.0`). */
  versionEnv: string;
}

/** The versions tested end to end (test/integration/agents-*.test.ts). */
export const AGENT_CLI_PINS: Readonly<Record<AgentCliName, AgentCliPin>> = {
  claude: {
    registry: 'npm',
    package: '@anthropic-ai/claude-code',
    version: '2.1.197',
    bin: 'claude',
    versionEnv: 'NIGHTSHIFT_CLAUDE_VERSION',
  },
  codex: {
    registry: 'npm',
    package: '@openai/codex',
    version: '0.171.0',
    bin: 'codex',
    versionEnv: 'NIGHTSHIFT_CODEX_VERSION',
  },
  gemini: {
    registry: 'npm',
    package: '@google/gemini-cli',
    version: '0.61.0',
    bin: 'gemini',
    versionEnv: 'NIGHTSHIFT_GEMINI_VERSION',
  },
  aider: {
    registry: 'pypi',
    package: 'aider-chat',
    version: '0.86.2',
    bin: 'aider',
    versionEnv: 'NIGHTSHIFT_AIDER_VERSION',
  },
};

/** A version as registries spell them (`0.172.0`, `2.1.200-beta.1`, `0.87.0rc1`), nothing a shell or path could misread. */
const VERSION = /^[0-9][0-9A-Za-z.+-]{0,63}$/;

/** The version to install: the override from the environment if set, else the pin. */
export function agentCliVersion(name: AgentCliName, env: NodeJS.ProcessEnv = process.env): string {
  const pin = AGENT_CLI_PINS[name];
  const override = env[pin.versionEnv]?.trim();
  if (!override) return pin.version;
  if (!VERSION.test(override) || override.includes('..')) {
    throw new InvalidInputError(
      `"${override}" is not a version`,
      pin.versionEnv,
      `Set ${pin.versionEnv} to a published ${pin.package} version such as ${pin.version}, or unset it to use the tested pin.`,
    );
  }
  return override;
}

/** What the registry install command is given: `pkg@1.2.3` for npm, `pkg==1.2.3` for PyPI. */
export function packageSpec(name: AgentCliName, version: string): string {
  const pin = AGENT_CLI_PINS[name];
  return pin.registry === 'npm' ? `${pin.package}@${version}` : `${pin.package}==${version}`;
}
