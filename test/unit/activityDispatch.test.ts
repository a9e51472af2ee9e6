import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dispatched } from '../../src/workflows/shared/dispatch';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('eager dispatch of activities', () => {
  it('is allowed only for activities with a heartbeat timeout (a lost worker is noticed in seconds)', () => {
    expect(dispatched({ startToCloseTimeout: '5 minutes', heartbeatTimeout: '30 seconds' }).allowEagerDispatch).toBe(true);
    expect(dispatched({ startToCloseTimeout: '10 minutes' }).allowEagerDispatch).toBe(false);
    expect(dispatched({ startToCloseTimeout: '1 minute', taskQueue: 'q' })).toEqual({ startToCloseTimeout: '1 minute', taskQueue: 'q', allowEagerDispatch: false });
  });

  it('decides for every activity proxy of every workflow', () => {
    const unwrapped = sources(join(__dirname, '..', '..', 'src', 'workflows')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/proxyActivities<[^>]+>\((?!dispatched\()/g)].map(() => file),
    );
    expect(unwrapped).toEqual([]);
  });
});
