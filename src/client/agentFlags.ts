import { resolve } from 'node:path';
import { z } from 'zod';
import { AGENT_KINDS, type AgentSpecSchema } from '../model/request';
import { agentEnvFromFlags, envFlag, envOption, envSpec } from './envFlags';
import { agentSandboxFromFlags, sandboxFlag, sandboxOption, sandboxSpec } from './sandboxFlags';

/** The agent flags of `nightshift start`, shared by commands that run any agent (`schedule add`). */
export const agentFlags = {
  agent: z.enum(AGENT_KINDS).default('scripted'),
  'agent-command': z.string().optional(),
  'agent-bin': z.string().optional(),
  model: z.string().optional(),
  'max-turns': z.string().regex(/^[1-9]\d*$/, 'expected a whole number of turns').optional(),
  'permission-mode': z.string().optional(),
  'allowed-tools': z.string().optional(),
  'auto-approve': z.boolean().default(false),
  scenario: z.string().optional(),
  ...envFlag,
  ...sandboxFlag,
};

export const agentSpec = {
  agent: { type: 'string' },
  'agent-command': { type: 'string' },
  'agent-bin': { type: 'string' },
  model: { type: 'string' },
  'max-turns': { type: 'string' },
  'permission-mode': { type: 'string' },
  'allowed-tools': { type: 'string' },
  'auto-approve': { type: 'boolean' },
  scenario: { type: 'string' },
  ...envSpec,
  ...sandboxSpec,
} as const;

export const agentOptions = `  --agent NAME            claude | codex | aider | gemini | command | scripted (default scripted)
  --agent-command CMD     with --agent command: "<program> <args>", {prompt_file} is replaced
  --agent-bin PATH        run this executable instead of claude/codex/aider/gemini from PATH
  --model M               the agent's model
  --max-turns N           claude --max-turns
  --permission-mode M     claude --permission-mode (headless runs cannot answer prompts); codex: the
                          sandbox (read-only | workspace-write, the default | danger-full-access)
  --allowed-tools LIST    claude --allowedTools, comma-separated
  --auto-approve          codex -c approval_policy="never", gemini --yolo: act without asking (headless
                          runs cannot answer a prompt)
  --scenario FILE         with --agent scripted: what the built-in agent should do
${envOption}
${sandboxOption}`;

type AgentFlags = z.infer<z.ZodObject<typeof agentFlags>>;

/** The request's agent spec from the flags; only what was given goes in. */
export function agentFromFlags(o: AgentFlags): z.input<typeof AgentSpecSchema> {
  return {
    kind: o.agent,
    ...(o['agent-command'] ? { command: o['agent-command'] } : {}),
    ...(o.scenario ? { scenario: resolve(o.scenario) } : {}),
    ...(o['agent-bin'] ? { bin: resolve(o['agent-bin']) } : {}),
    ...(o.model ? { model: o.model } : {}),
    ...(o['max-turns'] ? { maxTurns: Number(o['max-turns']) } : {}),
    ...(o['permission-mode'] ? { permissionMode: o['permission-mode'] } : {}),
    ...(o['allowed-tools'] ? { allowedTools: o['allowed-tools'].split(',').map((t) => t.trim()).filter(Boolean) } : {}),
    ...(o['auto-approve'] ? { autoApprove: true } : {}),
    ...agentEnvFromFlags(o.env),
    ...agentSandboxFromFlags(o),
  };
}
