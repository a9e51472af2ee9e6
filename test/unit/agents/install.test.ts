import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_CLI_NAMES, AGENT_CLI_PINS, agentCliVersion, packageSpec } from '../../../src/agents/cliVersions';
import { agentCliDir, agentCliExecutable, ensureAgentCli, findAgentCli } from '../../../src/agents/install';
import { InvalidInputError } from '../../../src/model/errors';
import { adapterFor } from '../../../src/agents';

describe('agent CLI versions', () => {
  it('pins every agent, each with its own override variable', () => {
    expect(AGENT_CLI_NAMES.map((n) => `${n}@${AGENT_CLI_PINS[n].version}`)).toEqual([
      'claude@2.1.197',
      'codex@0.171.0',
      'gemini@0.61.0',
      'aider@0.86.2',
    ]);
    expect(new Set(AGENT_CLI_NAMES.map((n) => AGENT_CLI_PINS[n].versionEnv)).size).toBe(4);
  });

  it('uses the pin unless the environment names another version', () => {
    expect(agentCliVersion('codex', {})).toBe('0.171.0');
    expect(agentCliVersion('codex', { NIGHTSHIFT_CODEX_VERSION: '' })).toBe('0.171.0');
    expect(agentCliVersion('codex', { NIGHTSHIFT_CODEX_VERSION: ' 0.172.0 ' })).toBe('0.172.0');
    expect(agentCliVersion('claude', { NIGHTSHIFT_CODEX_VERSION: '0.172.0' })).toBe('2.1.197');
    expect(agentCliVersion('claude', { NIGHTSHIFT_CLAUDE_VERSION: '2.1.200-beta.1' })).toBe('2.1.200-beta.1');
    expect(agentCliVersion('aider', { NIGHTSHIFT_AIDER_VERSION: '0.87.0rc1' })).toBe('0.87.0rc1');
  });

  it.each(['latest', '../../etc', '1.0 && rm -rf /', '1..2', '1/2', ''.padEnd(80, '1')])(
    'refuses %j as a version, naming the variable',
    (bad) => {
      const read = () => agentCliVersion('gemini', { NIGHTSHIFT_GEMINI_VERSION: bad });
      expect(read).toThrow(InvalidInputError);
      expect(read).toThrow(/NIGHTSHIFT_GEMINI_VERSION/);
    },
  );

  it('spells the package as each registry wants it', () => {
    expect(packageSpec('claude', '2.1.197')).toBe('@anthropic-ai/claude-code@2.1.197');
    expect(packageSpec('aider', '0.86.2')).toBe('aider-chat==0.86.2');
  });
});

describe('agent CLI cache paths', () => {
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'nightshift-install-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  it('keeps one directory per agent and version under the cache', () => {
    const env = { NIGHTSHIFT_CACHE_DIR: cache };
    expect(agentCliDir('codex', env)).toBe(join(cache, 'agents', 'codex', '0.171.0'));
    expect(agentCliDir('codex', { ...env, NIGHTSHIFT_CODEX_VERSION: '0.172.0' })).toBe(
      join(cache, 'agents', 'codex', '0.172.0'),
    );
    expect(agentCliExecutable('gemini', '/x')).toBe('/x/node_modules/.bin/gemini');
    expect(agentCliExecutable('aider', '/x')).toBe('/x/aider');
  });

  it('finds an installed CLI and reuses it without installing or logging', async () => {
    const env = { NIGHTSHIFT_CACHE_DIR: cache, PATH: '' };
    expect(findAgentCli('claude', env)).toBeUndefined();
    const exe = agentCliExecutable('claude', agentCliDir('claude', env));
    mkdirSync(join(exe, '..'), { recursive: true });
    writeFileSync(exe, '#!/bin/sh\n');
    const lines: string[] = [];
    // PATH is empty: an install attempt could not even start npm, so success proves reuse.
    await expect(ensureAgentCli('claude', { env, log: (l) => lines.push(l) })).resolves.toBe(exe);
    expect(findAgentCli('claude', env)).toBe(exe);
    expect(lines).toEqual([]);
  });

  it('says what failed and leaves no half-installed directory behind', async () => {
    const env = { NIGHTSHIFT_CACHE_DIR: cache, PATH: '' };
    const lines: string[] = [];
    await expect(ensureAgentCli('codex', { env, log: (l) => lines.push(l) })).rejects.toThrow(
      /npm install @openai\/codex@0\.171\.0 could not start/,
    );
    expect(lines).toEqual([`Installing codex 0.171.0 once into ${agentCliDir('codex', env)} (later runs reuse it)`]);
    expect(findAgentCli('codex', env)).toBeUndefined();
    expect(readdirSync(join(cache, 'agents', 'codex'))).toEqual([]);
  });
});

describe('which program a named agent runs', () => {
  const ctx = { prompt: 'p', promptFile: '/tmp/p.md', completionPromise: 'DONE', model: 'openai/gpt-4.1' };

  it('runs the CLI on PATH first, else the pinned one in the cache, and --agent-bin over both', () => {
    const cache = mkdtempSync(join(tmpdir(), 'agent-cache-'));
    const pathDir = mkdtempSync(join(tmpdir(), 'agent-path-'));
    const env = { NIGHTSHIFT_CACHE_DIR: cache, PATH: pathDir };
    // Nothing anywhere: the bare name, so spawning fails with "could not start codex" as before.
    expect(adapterFor({ kind: 'codex' }, env).argv(ctx)[0]).toBe('codex');
    const cached = agentCliExecutable('codex', agentCliDir('codex', env));
    mkdirSync(join(cached, '..'), { recursive: true });
    writeFileSync(cached, '#!/bin/sh\n', { mode: 0o755 });
    expect(adapterFor({ kind: 'codex' }, env).argv(ctx)[0]).toBe(cached);
    writeFileSync(join(pathDir, 'codex'), '#!/bin/sh\n', { mode: 0o755 });
    expect(adapterFor({ kind: 'codex' }, env).argv(ctx)[0]).toBe('codex');
    expect(adapterFor({ kind: 'codex', bin: '/opt/codex' }, env).argv(ctx)[0]).toBe('/opt/codex');
  });
});
