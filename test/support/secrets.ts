/** Planted secrets of every shape issue 10 names (fake values that look real), for redaction tests. */
export const alnum = (n: number, seed = 7) => Array.from({ length: n }, (_, i) => 'aB3xY9qZ0kLm'[(i * seed) % 12]).join('');

export const PLANTED = {
  anthropic: `sk-ant-api03-${alnum(60)}`,
  openai: `sk-proj-${alnum(48)}`,
  openaiLegacy: `sk-${alnum(48, 5)}`,
  google: `AIza${alnum(35)}`,
  githubClassic: `ghp_${alnum(36)}`,
  githubFineGrained: `github_pat_${alnum(22)}_${alnum(59, 5)}`,
  githubOauth: `gho_${alnum(36, 5)}`,
  awsAccessKey: 'AKIAQWERTYUIOPASDFGH',
  awsSecretKey: `${alnum(30)}/${alnum(9, 5)}`,
  slack: `xoxb-${alnum(12)}-${alnum(24, 5)}`,
  basicAuth: Buffer.from('user:hunter2-very-secret').toString('base64'),
};

/** A private key block as `cat ~/.ssh/id_ed25519` prints it. */
export const PLANTED_PRIVATE_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ${alnum(24)}\n${alnum(70, 5)}\n-----END OPENSSH PRIVATE KEY-----\n`;
