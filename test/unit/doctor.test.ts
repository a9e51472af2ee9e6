import { join } from 'node:path';
import { type CredentialContext, detectCredentials } from '../../src/client/doctor/credentials';
import { type CheckResult, exitCodeOf, renderTable } from '../../src/client/doctor/report';
import { compareVersions, GIT_RANGE, inRange, NODE_RANGE, parseVersion, testedRange } from '../../src/client/doctor/versions';

describe('versions as the tools print them', () => {
  it.each([
    ['git version 2.39.5', [2, 39, 5]],
    ['v20.20.2', [20, 20, 2]],
    ['2.1.197 (Claude Code)', [2, 1, 197]],
    ['codex-cli 0.171.0', [0, 171, 0]],
    ['aider 0.86.2', [0, 86, 2]],
    ['0.61.0\n', [0, 61, 0]],
    ['git version 2.24', [2, 24, 0]],
  ])('%j is %j', (text, v) => {
    expect(parseVersion(text)).toEqual(v);
  });

  it('has no version in text without one', () => {
    expect(parseVersion('command not found')).toBeUndefined();
  });

  it('the tested range of a pin is its major.minor line', () => {
    const r = testedRange('0.171.0');
    expect(inRange([0, 171, 5], r)).toBe(true);
    expect(inRange([0, 172, 0], r)).toBe(false);
    expect(inRange([0, 170, 9], r)).toBe(false);
    expect(inRange([2, 1, 0], testedRange('2.1.197'))).toBe(true);
  });

  it('node and git minimums', () => {
    expect(inRange([20, 2, 9], NODE_RANGE)).toBe(false);
    expect(inRange([20, 3, 0], NODE_RANGE)).toBe(true);
    expect(inRange([2, 23, 9], GIT_RANGE)).toBe(false);
    expect(compareVersions([1, 10, 0], [1, 9, 99])).toBeGreaterThan(0);
  });
});

/** A fake home: a map of files, nothing on disk. */
function ctx(env: Record<string, string>, files: Record<string, string> = {}, extra: Partial<CredentialContext> = {}): CredentialContext {
  const home = '/home/u';
  return { env, home, readText: (p) => files[p], ...extra };
}
const H = (...p: string[]) => join('/home/u', ...p);

describe('credentials, found without spending tokens', () => {
  it('claude: an API key, a login file, CLAUDE_CONFIG_DIR, or the fix', () => {
    expect(detectCredentials('claude', ctx({ ANTHROPIC_API_KEY: 'x' }))).toMatchObject({ ok: true, detail: 'ANTHROPIC_API_KEY is set', fix: null });
    expect(detectCredentials('claude', ctx({}, { [H('.claude', '.credentials.json')]: '{"claudeAiOauth":{"accessToken":"t"}}' }))).toMatchObject({ ok: true });
    expect(detectCredentials('claude', ctx({ CLAUDE_CONFIG_DIR: '/cfg' }, { '/cfg/.credentials.json': '{"a":1}' }))).toMatchObject({ ok: true, detail: 'logged in (/cfg/.credentials.json)' });
    const missing = detectCredentials('claude', ctx({}));
    expect(missing).toMatchObject({ ok: false });
    expect(missing.fix).toMatch(/^claude \/login/);
    expect(detectCredentials('claude', ctx({}, { [H('.claude', '.credentials.json')]: 'not json' }))).toMatchObject({ ok: false, detail: expect.stringContaining('not JSON') });
    expect(detectCredentials('claude', ctx({ ANTHROPIC_API_KEY: '  ' })).ok).toBe(false);
  });

  it('codex: the env key, then `codex login status`, then auth.json', () => {
    expect(detectCredentials('codex', ctx({ CODEX_API_KEY: 'x' }, {}, { codexLoginStatus: { code: 1, output: 'Not logged in' } }))).toMatchObject({ ok: true });
    // codex ignores OPENAI_API_KEY for its own provider: doctor says so instead of passing it.
    const ignored = detectCredentials('codex', ctx({ OPENAI_API_KEY: 'x' }));
    expect(ignored.ok).toBe(false);
    expect(ignored.detail).toContain('codex does not read it');
    expect(detectCredentials('codex', ctx({}, {}, { codexLoginStatus: { code: 0, output: 'Logged in using ChatGPT\n' } }))).toMatchObject({
      ok: true,
      detail: 'codex login status: Logged in using ChatGPT',
    });
    const out = detectCredentials('codex', ctx({}, { [H('.codex', 'auth.json')]: '{"x":1}' }, { codexLoginStatus: { code: 1, output: 'Not logged in' } }));
    expect(out).toMatchObject({ ok: false, detail: 'codex login status: Not logged in' });
    expect(out.fix).toMatch(/^codex login/);
    expect(detectCredentials('codex', ctx({}, { [H('.codex', 'auth.json')]: '{"x":1}' }))).toMatchObject({ ok: true });
    expect(detectCredentials('codex', ctx({ CODEX_HOME: '/ch' }, { '/ch/auth.json': '{"x":1}' }))).toMatchObject({ ok: true });
    const warned = { code: 1, output: 'WARNING: proceeding, even though we could not create PATH aliases\nNot logged in\n' };
    expect(detectCredentials('codex', ctx({}, {}, { codexLoginStatus: warned })).detail).toBe('codex login status: Not logged in');
    expect(detectCredentials('codex', ctx({})).ok).toBe(false);
  });

  it('gemini: keys, ~/.gemini/.env, the Google login, or the fix', () => {
    expect(detectCredentials('gemini', ctx({ GOOGLE_API_KEY: 'x' })).ok).toBe(true);
    expect(detectCredentials('gemini', ctx({}, { [H('.gemini', '.env')]: 'GEMINI_API_KEY=abc\n' })).ok).toBe(true);
    expect(detectCredentials('gemini', ctx({}, { [H('.gemini', 'oauth_creds.json')]: '{"access_token":"t"}' })).detail).toContain('logged in with Google');
    expect(detectCredentials('gemini', ctx({ GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_CLOUD_PROJECT: 'p' })).ok).toBe(true);
    const missing = detectCredentials('gemini', ctx({}, { [H('.gemini', '.env')]: '# GEMINI_API_KEY=\n' }));
    expect(missing.ok).toBe(false);
    expect(missing.fix).toContain('GEMINI_API_KEY');
  });

  it('aider: the model builds name with --model decides which provider key counts', () => {
    const noModel = detectCredentials('aider', ctx({ OPENAI_API_KEY: 'x' }));
    expect(noModel).toMatchObject({ ok: true, detail: expect.stringMatching(/^OPENAI_API_KEY is set; .*nightshift doctor --agent aider --model/) });
    expect(detectCredentials('aider', ctx({}, { [H('.aider.conf.yml')]: 'anthropic-api-key: k\n' })).ok).toBe(true);
    // Without a model and without any provider's key, no model can run.
    const none = detectCredentials('aider', ctx({}));
    expect(none).toMatchObject({ ok: false, detail: expect.stringContaining("no model provider's API key is set") });
    expect(none.fix).toContain('OPENAI_API_KEY=');
    expect(detectCredentials('aider', ctx({ OPENAI_API_KEY: 'x' }, {}, { model: 'openai/gpt-4.1' }))).toMatchObject({ ok: true, detail: 'model openai/gpt-4.1, OPENAI_API_KEY is set' });
    expect(detectCredentials('aider', ctx({}, {}, { model: 'sonnet' }))).toMatchObject({ ok: false, detail: 'model sonnet needs ANTHROPIC_API_KEY, which is not set' });
    expect(detectCredentials('aider', ctx({ AIDER_ANTHROPIC_API_KEY: 'k' }, {}, { model: 'sonnet' })).ok).toBe(true);
    expect(detectCredentials('aider', ctx({}, {}, { model: 'deepseek/deepseek-chat' })).detail).toContain('DEEPSEEK_API_KEY');
    expect(detectCredentials('aider', ctx({}, { [H('.aider.conf.yml')]: 'openai-api-key: sk\n' }, { model: 'gpt-4o' })).ok).toBe(true);
    expect(detectCredentials('aider', ctx({}, {}, { model: 'openrouter/anthropic/claude-3.5-sonnet' })).detail).toContain('OPENROUTER_API_KEY');
    expect(detectCredentials('aider', ctx({}, {}, { model: 'ollama_chat/llama3' })).ok).toBe(true);
  });
});

describe('the report', () => {
  const rows: CheckResult[] = [
    { check: 'node', ok: true, detail: '20.20.2', fix: null },
    { check: 'claude credentials', ok: false, detail: 'no login', fix: 'claude /login' },
  ];

  it('prints each check with the fix under every miss, and exits 1 when anything is missing', () => {
    const table = renderTable(rows);
    expect(table.split('\n')).toEqual([
      'CHECK               STATUS   DETAIL',
      'node                ok       20.20.2',
      'claude credentials  MISSING  no login',
      '                             fix: claude /login',
      '',
      '1 check needs fixing (see "fix:" above).',
    ]);
    expect(exitCodeOf(rows)).toBe(1);
    expect(exitCodeOf(rows.slice(0, 1))).toBe(0);
    expect(renderTable(rows.slice(0, 1))).toContain('Everything checked is ready.');
  });
});
