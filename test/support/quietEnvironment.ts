import type { Circus } from '@jest/types';
import NodeEnvironment from 'jest-environment-node';
import type { TestLog } from './testLog';

/**
 * The integration tests' jest environment: what the workers logged during a test (kept by
 * test/support/testLog.ts) is printed only when the test, or a hook, fails.
 */
export default class QuietEnvironment extends NodeEnvironment {
  async handleTestEvent(event: Circus.Event): Promise<void> {
    const log = (this.global as { __nightshiftTestLog?: TestLog }).__nightshiftTestLog;
    if (!log) return;
    // What came in before the test started belongs to a test that passed (or to setup that worked).
    if (event.name === 'test_start') log.take();
    const failed = (event.name === 'test_done' && event.test.errors.length > 0) || event.name === 'hook_failure';
    if (!failed) return;
    // The Runtime's log collector holds entries for 100 ms to order them; let the last ones arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = log.take();
    if (lines.length === 0) return;
    const name = event.name === 'test_done' ? testName(event.test) : `${event.hook.type} hook`;
    process.stderr.write(`\n── worker log of "${name}" (${lines.length} entries) ──\n${lines.join('\n')}\n── end of worker log ──\n`);
  }
}

function testName(test: Circus.TestEntry): string {
  const parts: string[] = [test.name];
  for (let block: Circus.DescribeBlock | undefined = test.parent; block && block.name !== 'ROOT_DESCRIBE_BLOCK'; block = block.parent) parts.unshift(block.name);
  return parts.join(' › ');
}
