import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AgentSpec } from '../model/request';
import { AGENT_CLI_PINS, type AgentCliName } from './cliVersions';
import { commandAgent } from './command';
import { findAgentCli } from './install';
import { AGENT_ADAPTERS } from './registry';
import { scriptedAgent } from './scripted';
import type { AgentAdapter, InvocationContext } from './types';

/**
 * The adapter for a request's agent. `bin` replaces the program a named CLI adapter would run; without
 * it, the CLI on the worker's PATH runs, or else the pinned one Nightshift installed into its cache.
 */
export function adapterFor(spec: AgentSpec, env: NodeJS.ProcessEnv = process.env): AgentAdapter {
  switch (spec.kind) {
    case 'command':
      return commandAgent(spec.command ?? '');
    case 'scripted':
      return scriptedAgent(spec.scenario);
    default: {
      const adapter = AGENT_ADAPTERS[spec.kind]();
      const bin = spec.bin ?? cachedWhenNotOnPath(spec.kind, env);
      if (!bin) return adapter;
      return { ...adapter, argv: (ctx) => [bin, ...adapter.argv(ctx).slice(1)], parser: (ctx) => adapter.parser(ctx) };
    }
  }
}

function cachedWhenNotOnPath(name: AgentCliName, env: NodeJS.ProcessEnv): string | undefined {
  const program = AGENT_CLI_PINS[name].bin;
  const onPath = (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, program)));
  return onPath ? undefined : findAgentCli(name, env);
}

/** The invocation options a request's agent spec contributes (unset ones stay off the command line). */
export function invocationOptions(spec: AgentSpec): Partial<InvocationContext> {
  return {
    ...(spec.model ? { model: spec.model } : {}),
    ...(spec.maxTurns ? { maxTurns: spec.maxTurns } : {}),
    ...(spec.permissionMode ? { permissionMode: spec.permissionMode } : {}),
    ...(spec.allowedTools ? { allowedTools: spec.allowedTools } : {}),
    ...(spec.autoApprove ? { autoApprove: true } : {}),
  };
}
