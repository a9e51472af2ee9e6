import { lineRedactor, redactSecrets } from '../../../src/agents/redact';
import { alnum, PLANTED } from '../../support/secrets';


describe('secret shapes', () => {
  it.each([
    ['Anthropic', `key is ${PLANTED.anthropic} ok`],
    ['OpenAI project', `OPENAI says ${PLANTED.openai}`],
    ['OpenAI legacy', `using ${PLANTED.openaiLegacy}`],
    ['Google', `gemini ${PLANTED.google}`],
    ['GitHub classic', `git push https://${PLANTED.githubClassic}@github.com/x/y`],
    ['GitHub fine-grained', `GH ${PLANTED.githubFineGrained}`],
    ['GitHub OAuth', `token: ${PLANTED.githubOauth}`],
    ['AWS access key', `aws ${PLANTED.awsAccessKey} in use`],
    ['AWS secret key', `AWS_SECRET_ACCESS_KEY=${PLANTED.awsSecretKey}`],
    ['AWS secret key (ini)', `aws_secret_access_key = ${PLANTED.awsSecretKey}`],
    ['AWS secret key (bare)', `using ${PLANTED.awsSecretKey} now`],
    ['AWS secret key (other name)', `SOME_VAR=${PLANTED.awsSecretKey}`],
    ['Slack', `slack ${PLANTED.slack}`],
    ['Authorization Basic', `> Authorization: Basic ${PLANTED.basicAuth}`],
    ['Authorization in curl', `curl -H "Authorization: token ${PLANTED.githubOauth}" https://api.github.com`],
  ])('%s', (_name, line) => {
    const out = redactSecrets(line);
    expect(out).toContain('[REDACTED]');
    for (const secret of Object.values(PLANTED)) expect(out).not.toContain(secret);
  });

  it('masks a private key block in one text, and what is left of one cut short', () => {
    const block = `before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${alnum(40)}\n${alnum(64)}\n-----END OPENSSH PRIVATE KEY-----\nafter`;
    const out = redactSecrets(block);
    expect(out).toBe('before\n[REDACTED]\nafter');
    expect(redactSecrets(`x -----BEGIN RSA PRIVATE KEY-----\\nMIIE${alnum(50)}`)).toBe('x [REDACTED]');
  });

  it('masks every line of a key block read line by line, and goes back to normal after it', () => {
    const r = lineRedactor();
    const lines = ['hello', '-----BEGIN PRIVATE KEY-----', `MIIE${alnum(60)}`, alnum(64), '-----END PRIVATE KEY-----', 'after the key'];
    expect(lines.map(r)).toEqual(['hello', '[REDACTED]', '[REDACTED]', '[REDACTED]', '[REDACTED]', 'after the key']);
    const one = lineRedactor();
    expect(one('{"text":"-----BEGIN EC PRIVATE KEY-----\\nabc\\n-----END EC PRIVATE KEY-----"} next')).toBe('{"text":"[REDACTED]"} next');
    expect(one('still normal')).toBe('still normal');
  });

  it.each(['"promptTokenCount": 123,', '"totalTokenCount":9', '"max_token_limit": 4096', 'token_usage=12'])('leaves the usage number in %j', (line) => {
    expect(redactSecrets(line)).toBe(line);
  });

  it('leaves ordinary text about authorization alone, and git hashes', () => {
    expect(redactSecrets('the authorization step passed')).toBe('the authorization step passed');
    const hash = 'commit 3f9a1c2e5b7d9f0a1c3e5b7d9f0a1c3e5b7d9f0a in main';
    expect(redactSecrets(hash)).toBe(hash);
  });
});
