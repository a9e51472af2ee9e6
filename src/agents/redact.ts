/**
 * Masks credentials before agent output is stored or shown: agents run with API keys in their
 * environment and happily print them (`env`, `cat .env`, failing curl commands).
 *
 * Every pattern starts with a literal or a word boundary and every repetition is bounded (4096
 * characters at most: no credential is longer), so a multi-megabyte line costs one linear scan per
 * pattern and never overflows the regular expression engine's backtracking stack (an unbounded
 * `[A-Za-z0-9]{20,}` over 5 MB of letters does: "Maximum call stack size exceeded").
 */

const REDACTED = '[REDACTED]';

/** Well-known token shapes; each is replaced whole. Ordered specific-first (`sk-ant-` before `sk-`). */
const TOKEN_PATTERNS: readonly RegExp[] = [
  /\bsk-ant-[A-Za-z0-9_-]{10,4096}/g,
  /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,4096}/g,
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,4096}|github_pat_[A-Za-z0-9_]{20,4096})/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bxox[baprs]-[A-Za-z0-9-]{10,4096}/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,4096}/g,
  /\bglpat-[A-Za-z0-9_-]{20,4096}/g,
  /\bhf_[A-Za-z0-9]{30,4096}/g,
  /\bxapp-[A-Za-z0-9-]{10,4096}/g,
];

/**
 * A bare 40-character AWS secret access key (letters, digits, `/`, `+`): only masked with upper case,
 * lower case and a digit in it, so git hashes (lower-case hex) and words stay.
 */
const AWS_SECRET_KEY = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const maskAwsSecret = (m: string): string => (/[A-Z]/.test(m) && /[a-z]/.test(m) && /[0-9]/.test(m) ? REDACTED : m);

/** A PEM private key block (or what is left of it on one line): everything from BEGIN to END. */
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----|$)/g;
const PRIVATE_KEY_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----/;
const PRIVATE_KEY_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----/;

/** `Authorization: <scheme> <credentials>` and `Proxy-Authorization`, whatever the scheme (Basic, token, ...). */
const AUTHORIZATION_HEADER = /\b((?:Proxy-)?Authorization["']?\s*[:=]\s*["']?)(?:(Bearer|Basic|Token|Bot|Digest|AWS4-HMAC-SHA256)\s+)?[^\s"',;]{4,4096}(?:[^\n"']{0,2000})?/gi;

/** `Authorization: Bearer <token>`: the scheme stays so the line still reads as what it was. */
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,4096}/gi;

/**
 * `NAME=value`, `NAME: value`, `"name": "value"` where NAME has a secret-ish word. The scan is anchored
 * on the word itself (cheap to find); the rest of the name is checked in code, so `max_tokens` or
 * `monkey` are left alone while `API_KEY`, `apiKey`, `x-auth-token` and `DB_PASSWORD` are masked.
 */
const ASSIGNMENT =
  /(key|token|secret|passw(?:or)?d)([A-Za-z0-9_-]{0,30})(["']?)(\s*[:=]\s*)(?:"([^"\n]{0,4096})"|'([^'\n]{0,4096})'|([^\s"'`,;&(){}[\]]{1,4096}))/gi;

/** Name segments (after splitting on `_`, `-` and camelCase) that mark a value as a secret. */
const SECRET_SEGMENTS = new Set([
  'key',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'token',
  'authtoken',
  'accesstoken',
  'refreshtoken',
  'secret',
  'password',
  'passwd',
]);

/** Values that are clearly not secrets: JSON literals and already-masked text. */
const HARMLESS_VALUES = new Set(['', 'true', 'false', 'null', 'undefined', REDACTED]);

const NAME_CHAR = /[A-Za-z0-9_-]/;
const MAX_NAME_PREFIX = 64;

function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_-]+/);
  // `promptTokenCount`, `max_token_limit`: numbers about tokens, not tokens (agents' usage reports).
  if (words.some((w) => COUNTING_SEGMENTS.has(w))) return false;
  return words.some((w) => SECRET_SEGMENTS.has(w));
}

/** Name segments that make a token-ish name a count or a setting, never a credential. */
const COUNTING_SEGMENTS = new Set(['count', 'counts', 'limit', 'max', 'min', 'budget', 'usage', 'length', 'size', 'total']);

function maskAssignment(
  match: string,
  word: string,
  suffix: string,
  nameQuote: string,
  separator: string,
  doubleQuoted: string | undefined,
  singleQuoted: string | undefined,
  bare: string | undefined,
  offset: number,
  whole: string,
): string {
  const value = doubleQuoted ?? singleQuoted ?? bare ?? '';
  if (HARMLESS_VALUES.has(value)) return match;
  // `const token = getToken()` is code, not a credential.
  if (bare !== undefined && whole[offset + match.length] === '(') return match;
  // The match starts at the secret word; walk back to the start of the name it belongs to.
  let start = offset;
  while (start > 0 && offset - start < MAX_NAME_PREFIX && NAME_CHAR.test(whole[start - 1] as string)) start--;
  if (!isSecretName(whole.slice(start, offset) + word + suffix)) return match;
  const quote = doubleQuoted !== undefined ? '"' : singleQuoted !== undefined ? "'" : '';
  return `${word}${suffix}${nameQuote}${separator}${quote}${REDACTED}${quote}`;
}

/** Replaces credentials in `text` with `[REDACTED]`; text without any is returned unchanged. */
export function redactSecrets(text: string): string {
  let out = text;
  if (out.includes('PRIVATE KEY')) out = out.replace(PRIVATE_KEY_BLOCK, REDACTED);
  for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
  out = out.replace(AWS_SECRET_KEY, maskAwsSecret);
  if (/authorization/i.test(out)) out = out.replace(AUTHORIZATION_HEADER, (_m, name: string, scheme?: string) => `${name}${scheme ? `${scheme} ` : ''}${REDACTED}`);
  out = out.replace(BEARER, `$1 ${REDACTED}`);
  if (/key|token|secret|passw/i.test(out)) out = out.replace(ASSIGNMENT, maskAssignment);
  return out;
}

/**
 * A redactor for a stream read line by line: a private key block spans lines, so every line from a
 * BEGIN line to its END line is masked whole (a block never ended masks the rest of the stream).
 */
export function lineRedactor(): (line: string) => string {
  let inKey = false;
  return (line) => {
    if (inKey) {
      if (PRIVATE_KEY_END.test(line)) inKey = false;
      return REDACTED;
    }
    if (PRIVATE_KEY_BEGIN.test(line) && !PRIVATE_KEY_END.test(line.slice(line.search(PRIVATE_KEY_BEGIN)))) {
      inKey = true;
      return redactSecrets(line.slice(0, line.search(PRIVATE_KEY_BEGIN))) + REDACTED;
    }
    return redactSecrets(line);
  };
}
