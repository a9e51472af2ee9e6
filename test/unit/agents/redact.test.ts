import { redactSecrets } from '../../../src/agents/redact';

// Built at run time so no secret scanner mistakes this file for a leak.
const alnum = (n: number) => 'aB3'.repeat(Math.ceil(n / 3)).slice(0, n);

describe('redactSecrets', () => {
  it.each([
    ['Anthropic', `sk-ant-api03-${alnum(90)}-${alnum(6)}AA`],
    ['OpenAI', `sk-${alnum(48)}`],
    ['OpenAI project', `sk-proj-${alnum(40)}_${alnum(20)}`],
    ['GitHub personal', `ghp_${alnum(36)}`],
    ['GitHub OAuth', `gho_${alnum(36)}`],
    ['GitHub app', `ghs_${alnum(36)}`],
    ['GitHub fine-grained', `github_pat_${alnum(22)}_${alnum(59)}`],
    ['AWS access key id', `AKIA${'Q7'.repeat(8)}`],
    ['Slack', `xoxb-1234567890-${alnum(24)}`],
    ['Google', `AIza${alnum(35)}`],
  ])('masks a %s token', (_kind, token) => {
    expect(redactSecrets(`using ${token} now`)).toBe('using [REDACTED] now');
  });

  it('masks a bearer token but keeps the scheme', () => {
    expect(redactSecrets('curl -H "Authorization: Bearer abc.def-ghi_123456"')).toBe(
      'curl -H "Authorization: Bearer [REDACTED]"',
    );
  });

  it.each([
    ['API_KEY=abc123xyz', 'API_KEY=[REDACTED]'],
    ['export GITHUB_TOKEN="t0ken value"', 'export GITHUB_TOKEN="[REDACTED]"'],
    ["DB_PASSWORD='hunter2'", "DB_PASSWORD='[REDACTED]'"],
    ['AWS_SECRET_ACCESS_KEY = wJalrXUtnFEMI/K7MDENG', 'AWS_SECRET_ACCESS_KEY = [REDACTED]'],
    ['{"api_key": "abc123", "model": "gpt-5"}', '{"api_key": "[REDACTED]", "model": "gpt-5"}'],
    ['config: { apiKey: "abc123" }', 'config: { apiKey: "[REDACTED]" }'],
    ['x-auth-token: abc123', 'x-auth-token: [REDACTED]'],
    [
      'client_secret=s3cr3t&grant_type=client_credentials',
      'client_secret=[REDACTED]&grant_type=client_credentials',
    ],
  ])('masks the value in %j', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('masks a known token once, inside an assignment', () => {
    expect(redactSecrets(`ANTHROPIC_API_KEY=sk-ant-api03-${alnum(40)}`)).toBe('ANTHROPIC_API_KEY=[REDACTED]');
  });

  it.each([
    'All 12 tests passed in 3.2s',
    '{"input_tokens": 1200, "output_tokens": 345, "max_tokens": 4000}',
    'monkey=banana keyboard: qwerty',
    'const key = useMemo(() => 1)',
    'task-runner --flag sk-short',
    '"has_secret": false, "token": null',
  ])('leaves %j unchanged', (line) => {
    expect(redactSecrets(line)).toBe(line);
  });

  // A hostile agent can print one multi-megabyte line; redaction must neither throw nor hang on it.
  // (Speed is measured by the benchmarks, not asserted here.)
  it.each(['a-', 'key=', 'sk-', 'Bearer ', 'x_token', 'passwd:"', 'ghp_', '\t'])('survives a 5 MB line of %j', (unit) => {
    const line = unit.repeat(Math.ceil(5_000_000 / unit.length));
    expect(typeof redactSecrets(line)).toBe('string');
  });

  it.each(['sk-ant-', 'sk-', 'ghp_', 'AIza', 'hf_', 'Bearer ', 'Authorization: ', 'xoxb-', 'glpat-'])(
    'masks %j followed by 5 MB of token characters without overflowing the regex stack',
    (prefix) => {
      const out = redactSecrets(`${prefix}${'A1b2'.repeat(1_250_000)}`);
      expect(out).toContain('[REDACTED]');
      expect(out.length).toBeLessThan(5_000_000);
    },
  );
});
