import { classifyPushError, hostQueue, pushAdvice } from '../../../src/model/hosts';
import { hostRoute, ownerOf } from '../../../src/workflows/build/hostRoute';
import { workerHost } from '../../../src/worker/host';

describe('hosts and their queues', () => {
  it('a host queue is the shared queue @ the host; a build without an owner stays on the shared queue', () => {
    expect(hostQueue('nightshift', 'box-1')).toBe('nightshift@box-1');
    expect(hostRoute('nightshift', { host: 'box-1', epoch: 2 }, 5000)).toEqual({ taskQueue: 'nightshift@box-1', scheduleToStartTimeout: 5000 });
    expect(hostRoute('nightshift', undefined, 5000)).toEqual({});
    expect(ownerOf('b', { host: 'box-1' })).toEqual({ label: 'b', host: 'box-1', epoch: 1 });
    expect(ownerOf('b', { path: '/w' } as { host?: string })).toBeUndefined();
  });

  it('the host comes from --host, then NIGHTSHIFT_HOST, else the hostname made queue-safe; a bad name is refused', () => {
    const saved = process.env.NIGHTSHIFT_HOST;
    try {
      process.env.NIGHTSHIFT_HOST = 'from-env';
      expect(workerHost('flag-host')).toBe('flag-host');
      expect(workerHost()).toBe('from-env');
      delete process.env.NIGHTSHIFT_HOST;
      expect(workerHost()).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
      expect(() => workerHost('bad host/name')).toThrow(/not a valid host name/);
    } finally {
      if (saved === undefined) delete process.env.NIGHTSHIFT_HOST;
      else process.env.NIGHTSHIFT_HOST = saved;
    }
  });

  it.each([
    [' ! [rejected]        abc -> nightshift/x (non-fast-forward)\nerror: failed to push some refs', 'rejected'],
    ['! [rejected] abc -> nightshift/x (fetch first)', 'rejected'],
    ["fatal: '/tmp/o.git' does not appear to be a git repository\nfatal: Could not read from remote repository.", 'remote-gone'],
    ['ERROR: Repository not found.', 'remote-gone'],
    ["fatal: Authentication failed for 'https://example.test/r.git/'", 'auth'],
    ['git@example.test: Permission denied (publickey).', 'auth'],
    ['fatal: could not read Username for \'https://example.test\': terminal prompts disabled', 'auth'],
    ['error: something unexpected', 'other'],
  ])('git says %j: %s', (output, problem) => {
    expect(classifyPushError(output)).toBe(problem);
  });

  it('every problem comes with what to do', () => {
    expect(pushAdvice('rejected', 'origin', 'nightshift/x')).toContain('nightshift/x has commits this build does not have');
    expect(pushAdvice('remote-gone', 'origin', 'nightshift/x')).toContain('git remote set-url origin');
    expect(pushAdvice('auth', 'origin', 'nightshift/x')).toContain('push access');
  });
});
