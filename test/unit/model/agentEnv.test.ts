import { AgentEnvSchema, envProblem, parseEnvFile, parseEnvFlags } from '../../../src/model/agentEnv';
import { AgentSpecSchema } from '../../../src/model/request';
import { maskStrings, secretValues, valueMasker } from '../../../src/worker/agentEnvFile';

describe('--env KEY=VALUE', () => {
  it('keeps plain settings; a later KEY wins; values may hold = and spaces', () => {
    expect(parseEnvFlags(['MODE=fast', 'URL=http://127.0.0.1:9/v1?a=b', 'MODE=slow', 'EMPTY=', 'MSG=hello world'])).toEqual({
      env: { MODE: 'slow', URL: 'http://127.0.0.1:9/v1?a=b', EMPTY: '', MSG: 'hello world' },
      problems: [],
    });
  });

  it.each([
    ['NOEQUALS', '"NOEQUALS" is not KEY=VALUE'],
    ['=value', '"=value" is not KEY=VALUE'],
    ['1BAD=x', '"1BAD" is not a valid environment variable name'],
    ['BAD-NAME=x', '"BAD-NAME" is not a valid environment variable name'],
    ['NIGHTSHIFT_LABEL=x', 'NIGHTSHIFT_LABEL: NIGHTSHIFT_* variables are set by Nightshift'],
  ])('refuses %j', (flag, message) => {
    const r = parseEnvFlags([flag]);
    expect(r.env).toEqual({});
    expect(r.problems[0]).toContain(message);
  });

  it.each([
    ['ANTHROPIC_API_KEY', 'anything-at-all'],
    ['GITHUB_TOKEN', 'abc123'],
    ['DB_PASSWORD', 'hunter2'],
    ['CLIENT_SECRET', 'xyz'],
    ['SOME_SETTING', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz'],
    ['HEADER', 'Bearer abcdefghijklmnopqrstuvwxyz'],
    ['AWS', 'AKIAABCDEFGHIJKLMNOP'],
    ['PAT', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
  ])('refuses the secret %s=%s, saying why', (key, value) => {
    expect(envProblem(key, value)).toBe(`${key}: looks like a secret, and requests are stored in workflow history`);
  });

  it.each([
    ['MAX_TOKENS', '4096'],
    ['OPENAI_API_BASE', 'http://127.0.0.1:8080/v1'],
    ['CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC', '1'],
    ['MONKEY', 'banana'],
  ])('lets the plain setting %s=%s through', (key, value) => {
    expect(envProblem(key, value)).toBeUndefined();
  });

  it('the request schema refuses the same, naming the key', () => {
    expect(AgentEnvSchema.safeParse({ MODE: 'x' }).success).toBe(true);
    const bad = AgentSpecSchema.safeParse({ kind: 'scripted', env: { OPENAI_API_KEY: 'sk-abcdefghijklmnopqrstuvwxyz' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['env', 'OPENAI_API_KEY']);
  });
});

describe('the worker\'s agent env file', () => {
  it('reads KEY=VALUE lines, export, quotes and comments', () => {
    const text = [
      '# secrets for the agents',
      'ANTHROPIC_API_KEY=sk-ant-xyz',
      'export OPENAI_API_KEY = "sk-1\\"2"',
      "SINGLE='a # not a comment'",
      'BARE=value # a comment',
      '',
      'MULTI="line1\\nline2"',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      env: { ANTHROPIC_API_KEY: 'sk-ant-xyz', OPENAI_API_KEY: 'sk-1"2', SINGLE: 'a # not a comment', BARE: 'value', MULTI: 'line1\nline2' },
      problems: [],
    });
  });

  it('names the line of each problem', () => {
    expect(parseEnvFile('A=1\njust words\n2X=3\nQ="open\n').problems).toEqual([
      { line: 2, message: 'expected KEY=VALUE' },
      { line: 3, message: '"2X" is not a valid environment variable name' },
      { line: 4, message: 'Q: unterminated " quote' },
    ]);
  });
});

describe('masking the env file\'s values', () => {
  it('replaces every occurrence of each value (6+ characters) in text and in plain JSON results', () => {
    const values = secretValues({ A: 'plain-secret-1', B: 'short', C: 'plain-secret-1-longer' });
    expect(values).toEqual(['plain-secret-1-longer', 'plain-secret-1']);
    const mask = valueMasker(values);
    expect(mask('x plain-secret-1-longer y plain-secret-1 z short')).toBe('x [REDACTED] y [REDACTED] z short');
    expect(maskStrings({ lastLine: 'key plain-secret-1', notes: [{ content: 'plain-secret-1' }], n: 3, ok: true, none: null }, mask)).toEqual({
      lastLine: 'key [REDACTED]',
      notes: [{ content: '[REDACTED]' }],
      n: 3,
      ok: true,
      none: null,
    });
    expect(valueMasker([])('unchanged')).toBe('unchanged');
  });
});
