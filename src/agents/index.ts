import type { AgentSpec } from '../model/request';
import { commandAgent } from './command';
import { AGENT_ADAPTERS } from './registry';
import { scriptedAgent } from './scripted';
import type { AgentAdapter, InvocationContext } from './types';

/** The adapter for a request's agent; `bin` replaces the program a named CLI adapter would run. */
export function adapterFor(spec: AgentSpec): AgentAdapter {
  switch (spec.kind) {
    case 'command':
      return commandAgent(spec.command ?? '');
    case 'scripted':
      return scriptedAgent(spec.scenario);
    default: {
      const adapter = AGENT_ADAPTERS[spec.kind]();
      if (!spec.bin) return adapter;
      const bin = spec.bin;
      return { ...adapter, argv: (ctx) => [bin, ...adapter.argv(ctx).slice(1)], parser: (ctx) => adapter.parser(ctx) };
    }
  }
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
