import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidDocumentError } from '../../../src/model/errors';
import { PlanSchema } from '../../../src/model/plan';
import { flagGiven, loadRepoConfig, mergeRepoConfig, parseRepoConfig, RepoConfigSchema } from '../../../src/model/repoConfig';
import { makeRepo, samplePlan } from '../../support/repo';

const FILE = '/r/.nightshift/config.json';

function problems(text: string): string[] {
  try {
    parseRepoConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidDocumentError);
    return (err as InvalidDocumentError).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('repository config (.nightshift/config.json)', () => {
  it('accepts every key and fills defaults', () => {
    const c = parseRepoConfig(
      JSON.stringify({ setup: ['npm ci'], verify: ['npm test', { name: 'lint', run: 'npm run lint' }], agent: { kind: 'claude', model: 'opus' }, env: { NODE_ENV: 'test' }, sandbox: 'bwrap' }),
      FILE,
    );
    expect(c.setup).toEqual(['npm ci']);
    expect(c.verify).toHaveLength(2);
    expect(RepoConfigSchema.parse({})).toEqual({ setup: [], verify: [] });
  });

  it('names the key, the line and the file of each problem', () => {
    const text = '{\n  "setup": "npm ci",\n  "agent": { "kind": "gpt" },\n  "colour": 1\n}\n';
    const found = problems(text);
    expect(found.some((p) => p.startsWith('setup:') && p.includes('(line 2)'))).toBe(true);
    expect(found.some((p) => p.startsWith('agent.kind:') && p.includes('claude'))).toBe(true);
    expect(found.some((p) => p.startsWith('colour:') && p.includes('(line 4)'))).toBe(true);
    try {
      parseRepoConfig(text, FILE);
    } catch (err) {
      expect((err as Error).message).toContain(FILE);
    }
  });

  it('refuses secrets in env as --env does', () => {
    const found = problems(JSON.stringify({ env: { GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' } }));
    expect(found[0]).toContain('env.GITHUB_TOKEN');
    expect(found[0]).toContain('looks like a secret');
  });

  it('says where the JSON is broken', () => {
    expect(problems('{\n  "setup": [\n}\n')[0]).toContain('not valid JSON at line 3');
  });

  it('reads the file from the repository, or nothing when there is none', () => {
    const repo = makeRepo();
    expect(loadRepoConfig(repo)).toBeNull();
    mkdirSync(join(repo, '.nightshift'));
    writeFileSync(join(repo, '.nightshift', 'config.json'), JSON.stringify({ setup: ['make deps'] }));
    expect(loadRepoConfig(repo)?.setup).toEqual(['make deps']);
  });
});

describe('flags win over the file', () => {
  const config = parseRepoConfig(
    JSON.stringify({ setup: ['npm ci'], verify: ['npm test'], agent: { kind: 'claude', model: 'opus', permissionMode: 'acceptEdits', bin: 'bin/claude' }, env: { A: '1', B: '2' }, sandbox: { mode: 'bwrap', network: false }, deliver: 'deliver.sh' }),
    FILE,
  );

  it('the file gives the agent when --agent is not given', () => {
    const m = mergeRepoConfig(config, '/r', { agent: { kind: 'scripted', model: 'sonnet', env: { B: 'flag' } }, agentKindGiven: false });
    expect(m.agent).toEqual({ kind: 'claude', model: 'sonnet', permissionMode: 'acceptEdits', bin: '/r/bin/claude', sandbox: 'bwrap', network: false, env: { A: '1', B: 'flag' } });
    expect(m.setup).toEqual(['npm ci']);
    expect(m.deliver).toBe('deliver.sh');
  });

  it("another --agent does not get the file's agent settings, but env and sandbox still apply", () => {
    const m = mergeRepoConfig(config, '/r', { agent: { kind: 'codex', sandbox: 'none' }, agentKindGiven: true, deliver: 'mine' });
    expect(m.agent).toEqual({ kind: 'codex', sandbox: 'none', network: false, env: { A: '1', B: '2' } });
    expect(m.deliver).toBe('mine');
  });

  it('verify fills only checkpoints without verification steps', () => {
    const plan = PlanSchema.parse(samplePlan(2));
    plan.checkpoints[1]!.testing_strategy.verification_steps = [];
    const m = mergeRepoConfig(config, '/r', { agent: { kind: 'scripted' }, agentKindGiven: false, plan });
    expect(m.plan?.checkpoints.map((c) => c.testing_strategy.verification_steps)).toEqual([['test -d work'], ['npm test']]);
  });

  it('without a file the flags go through unchanged', () => {
    expect(mergeRepoConfig(null, '/r', { agent: { kind: 'scripted' }, agentKindGiven: false })).toEqual({ agent: { kind: 'scripted' }, setup: [] });
  });

  it('knows whether a flag was given', () => {
    expect(flagGiven(['--agent', 'claude'], 'agent')).toBe(true);
    expect(flagGiven(['--agent=claude'], 'agent')).toBe(true);
    expect(flagGiven(['--agent-bin', 'x'], 'agent')).toBe(false);
  });
});
