import { checkedPayload } from '../../../src/client/payloads';
import { InvalidInputError } from '../../../src/model/errors';
import { QueuePolicySchema } from '../../../src/workflows/queue/state';
import {
  MAX_TEXT_CHARS,
  MESSAGE_PAYLOADS,
  type MessageName,
  QUEUE_POLICY_KEYS,
  parsePayload,
} from '../../../src/model/payloads';

const problem = (name: MessageName, ...args: unknown[]) => {
  const r = parsePayload(name, args);
  if (r.ok) throw new Error(`${name} accepted ${JSON.stringify(args).slice(0, 100)}`);
  return r.problem;
};
const value = (name: MessageName, ...args: unknown[]) => {
  const r = parsePayload(name, args);
  if (!r.ok) throw new Error(r.problem);
  return r.value;
};

describe('message payloads', () => {
  it.each([
    ['override', { note: 'checked by hand' }, { note: 'checked by hand' }],
    ['override', { note: '  spaced  ' }, { note: 'spaced' }],
    ['skip', { note: 'not needed' }, { note: 'not needed' }],
    ['feedback', { message: 'use pnpm' }, { message: 'use pnpm' }],
    ['pause', { now: true, reason: 'lunch' }, { now: true, reason: 'lunch' }],
    ['pause', undefined, undefined],
    ['pause', null, undefined],
    ['pause', {}, {}],
    ['resume', undefined, undefined],
    ['resume', {}, {}],
    ['retry', null, null],
    ['progress', { session: 2, line: 'compiling' }, { session: 2, line: 'compiling' }],
    ['approve', { label: 'auth-api' }, { label: 'auth-api' }],
    ['fail', { label: 'auth-api', reason: 'wrong repo' }, { label: 'auth-api', reason: 'wrong repo' }],
    ['setPolicy', { concurrency: 2, retryInterval: '5m' }, { concurrency: 2, retryInterval: '5m' }],
    ['setPolicy', undefined, undefined],
    ['enqueue', { entry: { name: 'x' }, maxSessions: 3 }, { entry: { name: 'x' }, maxSessions: 3 }],
  ] as const)('%s accepts %j', (name, raw, expected) => {
    expect(value(name, raw)).toEqual(expected);
  });

  it.each(
    (
      [
        ['feedback', { message: 12 }, /^message: .*expected string, received number/],
        ['override', { note: 5 }, /^note: .*expected string, received number/],
        ['override', 'x', /^payload: .*expected object, received string.*\{"note"/],
        ['override', [1, 2], /^payload: .*expected object, received array/],
        ['override', { note: 'ok', extra: 1 }, /^payload: Unrecognized key: "extra"/],
        ['override', { notes: 'typo' }, /note: .*expected string.*Unrecognized key: "notes"/],
        ['override', undefined, /^override needs a payload like \{"note"/],
        ['override', { note: '   ' }, /^note: note must not be empty/],
        [
          'skip',
          { note: 'x'.repeat(10 * 1024 * 1024) },
          new RegExp(`^note: note is too long: at most ${MAX_TEXT_CHARS} characters, got 10485760`),
        ],
        ['feedback', { message: 'x'.repeat(MAX_TEXT_CHARS + 1) }, /^message: message is too long/],
        ['feedback', null, /^feedback needs a payload/],
        ['pause', { now: 'yes' }, /^now: .*expected boolean, received string/],
        ['pause', { reason: 'x'.repeat(MAX_TEXT_CHARS + 1) }, /^reason: reason is too long/],
        ['pause', '"x"', /^payload: .*expected object/],
        ['resume', { now: true }, /^payload: takes no payload, got an object with "now"/],
        ['retry', [1, 2], /^payload: takes no payload, got an array/],
        ['retry', 'x', /^payload: takes no payload, got a string/],
        ['progress', { session: '1' }, /^session: .*expected number/],
        ['progress', { session: 1, line: 'x'.repeat(5000) }, /^line: /],
        ['approve', { label: 5 }, /^label: .*expected string/],
        ['approve', { label: 'Not A Label' }, /^label: expected lowercase letters/],
        ['approve', {}, /^label: /],
        ['fail', { label: 'a', reason: 7 }, /^reason: .*expected string/],
        ['setPolicy', { concurrency: 'two' }, /^concurrency: .*expected number/],
        ['setPolicy', { parallel: 2 }, /^payload: Unrecognized key: "parallel"/],
        ['setPolicy', [1, 2], /^payload: .*expected object, received array/],
        ['enqueue', { entry: 'x' }, /^entry: .*expected record/],
        ['enqueue', { entry: { description: 'x'.repeat(300 * 1024) } }, /^payload: request is too large/],
        ['enqueue', { entry: {}, priority: 'high' }, /^payload: Unrecognized key: "priority"/],
      ] as const
    ).map(
      ([name, raw, expected]) =>
        [name, JSON.stringify(raw)?.slice(0, 60) ?? 'nothing', raw, expected] as const,
    ),
  )('%s refuses %s with the field named', (name, _shown, raw, expected) => {
    expect(problem(name, raw)).toMatch(expected);
  });

  it('refuses more than one argument', () => {
    expect(problem('feedback', { message: 'a' }, { message: 'b' })).toBe(
      'feedback takes one argument, got 2',
    );
  });

  it('has a schema for every message the workflows define', () => {
    expect(Object.keys(MESSAGE_PAYLOADS).sort()).toEqual(
      [
        'approve',
        'enqueue',
        'fail',
        'feedback',
        'iteration',
        'override',
        'pause',
        'progress',
        'remove',
        'resume',
        'retry',
        'setPolicy',
        'skip',
      ].sort(),
    );
  });

  it('lets setPolicy patch exactly the fields of the queue policy', () => {
    expect([...QUEUE_POLICY_KEYS].sort()).toEqual(Object.keys(QueuePolicySchema.shape).sort());
  });

  it('is idempotent: a parsed payload parses to itself', () => {
    for (const [name, raw] of [
      ['pause', { now: true, reason: ' r ' }],
      ['override', { note: ' n ' }],
      ['fail', { label: 'a', reason: 'b' }],
    ] as const) {
      const once = value(name, raw);
      expect(value(name, once)).toEqual(once);
    }
  });
});

describe('payloads checked by the client before sending', () => {
  it('refuses a bad field as invalid input (exit code 2) naming the message and the field', () => {
    expect(() => checkedPayload('override', { note: 'x'.repeat(MAX_TEXT_CHARS + 1) })).toThrow(
      InvalidInputError,
    );
    expect(() => checkedPayload('override', { note: 'x'.repeat(MAX_TEXT_CHARS + 1) })).toThrow(
      /^override: note: note is too long/,
    );
    expect(() => checkedPayload('approve', { label: 'Bad Label' })).toThrow(/^approve: label: /);
    expect(checkedPayload('feedback', { message: ' use pnpm ' })).toEqual({ message: 'use pnpm' });
    expect(checkedPayload('resume', undefined)).toBeUndefined();
  });
});
