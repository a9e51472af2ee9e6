import type { AgentSpec } from '../model/request';
import { commandAgent } from './command';
import { scriptedAgent } from './scripted';
import type { AgentAdapter } from './types';

export function adapterFor(spec: AgentSpec): AgentAdapter {
  switch (spec.kind) {
    case 'command':
      return commandAgent(spec.command ?? '');
    case 'scripted':
      return scriptedAgent(spec.scenario);
  }
}
