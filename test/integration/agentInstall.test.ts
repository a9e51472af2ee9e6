import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_CLI_NAMES, agentCliVersion } from '../../src/agents/cliVersions';
import { tempDir } from '../support/repo';

const INSTALL = join(__dirname, '..', '..', 'dist', 'src', 'agents', 'install.js');

/** `ensureAgentCli(name)` in a process of its own, as two `npm test` runs or two workers would. */
function installIn(cache: string, name: string): Promise<{ code: number; path: string; log: string }> {
  const script = `require(${JSON.stringify(INSTALL)}).ensureAgentCli(${JSON.stringify(name)}).then((p) => process.stdout.write(p), (e) => { process.stderr.write(e.message); process.exit(1); })`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, NIGHTSHIFT_CACHE_DIR: cache }, stdio: ['ignore', 'pipe', 'pipe'] });
    let path = '';
    let log = '';
    child.stdout.on('data', (d: Buffer) => (path += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, path, log }));
  });
}

describe('installing the pinned agent CLIs', () => {
  it('the global setup installed all four, each answering with its pinned version', () => {
    for (const name of AGENT_CLI_NAMES) {
      const bin = process.env[`NIGHTSHIFT_TEST_${name.toUpperCase()}_BIN`] as string;
      expect(bin).toContain(join('agents', name, agentCliVersion(name)));
      expect(execFileSync(bin, ['--version'], { encoding: 'utf8', env: { ...process.env, HOME: tempDir('home') } })).toContain(agentCliVersion(name));
    }
  });

  it('two processes racing to install the same CLI both get it, once, with nothing half-installed left', async () => {
    const cache = tempDir('cache');
    // gemini is the smallest of the four; npm's own cache is warm from the global setup.
    const [a, b] = await Promise.all([installIn(cache, 'gemini'), installIn(cache, 'gemini')]);
    expect({ code: a.code, log: a.log }).toMatchObject({ code: 0 });
    expect({ code: b.code, log: b.log }).toMatchObject({ code: 0 });
    expect(a.path).toBe(b.path);
    expect(a.path).toBe(join(cache, 'agents', 'gemini', agentCliVersion('gemini'), 'node_modules', '.bin', 'gemini'));
    expect(readdirSync(join(cache, 'agents', 'gemini'))).toEqual([agentCliVersion('gemini')]);
    expect(a.log).toMatch(/^Installing gemini 0\.61\.0 once into .* \(later runs reuse it\)\nInstalled gemini 0\.61\.0 in \d+s\n$/);
    expect(execFileSync(a.path, ['--version'], { encoding: 'utf8', env: { ...process.env, HOME: tempDir('home') } }).trim()).toBe(agentCliVersion('gemini'));
    // A third run finds it and says nothing.
    const c = await installIn(cache, 'gemini');
    expect(c).toEqual({ code: 0, path: a.path, log: '' });
  });
});
