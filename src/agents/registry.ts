import { aiderAgent } from './aider';
import { claudeAgent } from './claude';
import { codexAgent } from './codex';
import { geminiAgent } from './gemini';
import type { AgentAdapter } from './types';

/** The agent CLIs Nightshift knows by name; each factory builds an adapter with default settings. */
export const AGENT_ADAPTERS = {
  claude: () => claudeAgent(),
  codex: () => codexAgent(),
  aider: () => aiderAgent(),
  gemini: () => geminiAgent(),
} as const satisfies Record<string, () => AgentAdapter>;

export type AgentName = keyof typeof AGENT_ADAPTERS;

export const AGENT_NAMES = Object.keys(AGENT_ADAPTERS) as AgentName[];

export function isAgentName(name: string): name is AgentName {
  return Object.prototype.hasOwnProperty.call(AGENT_ADAPTERS, name);
}
