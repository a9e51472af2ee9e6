import { agentFromFlags } from '../../src/client/agentFlags';
import { AgentSpecSchema } from '../../src/model/request';

const base = { agent: 'command' as const, 'agent-command': 'run it', 'auto-approve': false, env: [], 'no-network': false };

describe('--sandbox and --no-network in the request', () => {
  it('go into the agent spec only when given, and the spec schema keeps them', () => {
    expect(agentFromFlags(base)).not.toHaveProperty('sandbox');
    expect(agentFromFlags(base)).not.toHaveProperty('network');
    const spec = AgentSpecSchema.parse(agentFromFlags({ ...base, sandbox: 'bwrap', 'no-network': true }));
    expect(spec).toMatchObject({ kind: 'command', sandbox: 'bwrap', network: false });
  });

  it('a raw request with another mode is refused by the schema, naming the field', () => {
    const r = AgentSpecSchema.safeParse({ kind: 'command', command: 'x', sandbox: 'docker' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['sandbox']);
  });
});
