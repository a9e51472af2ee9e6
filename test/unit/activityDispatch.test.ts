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
  it('is allowed only where a worker lost right after is noticed within 30 s (heartbeat, or else start-to-close)', () => {
    expect(dispatched({ startToCloseTimeout: '5 minutes', heartbeatTimeout: '30 seconds' }).allowEagerDispatch).toBe(true);
    expect(dispatched({ startToCloseTimeout: '12 hours', heartbeatTimeout: 5_000 }).allowEagerDispatch).toBe(true);
    expect(dispatched({ startToCloseTimeout: '5 minutes', heartbeatTimeout: '2 minutes' }).allowEagerDispatch).toBe(false);
    expect(dispatched({ startToCloseTimeout: '30 seconds' }).allowEagerDispatch).toBe(true);
    expect(dispatched({ startToCloseTimeout: '10 minutes' }).allowEagerDispatch).toBe(false);
    expect(dispatched({ scheduleToCloseTimeout: '10 seconds' }).allowEagerDispatch).toBe(false);
    expect(dispatched({ startToCloseTimeout: '1 minute', taskQueue: 'q' })).toEqual({ startToCloseTimeout: '1 minute', taskQueue: 'q', allowEagerDispatch: false });
  });

  it('decides for every activity proxy of every workflow', () => {
    const unwrapped = sources(join(__dirname, '..', '..', 'src', 'workflows')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/proxyActivities<[^>]+>\((?!dispatched\()/g)].map(() => file),
    );
    expect(unwrapped).toEqual([]);
  });
});
