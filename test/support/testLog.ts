import { inspect } from 'node:util';
import { DefaultLogger, type LogEntry, type LogLevel, Runtime } from '@temporalio/worker';

/**
 * Quiet tests: worker and SDK warnings (activity failures a test provokes on purpose, Core's retry
 * warnings) are kept here, per test file, instead of being printed. The jest environment
 * (test/support/quietEnvironment.ts) prints what a test logged when that test fails, and drops it
 * when it passes. NIGHTSHIFT_TEST_LOG=INFO|DEBUG|... changes the level; NIGHTSHIFT_TEST_LOG_LIVE=1
 * prints everything as it happens, as before.
 */
export class TestLog {
  private lines: string[] = [];
  private readonly listeners: ((entry: LogEntry) => void)[] = [];

  add(entry: LogEntry): void {
    for (const l of this.listeners) l(entry);
    const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    const meta = entry.meta && Object.keys(entry.meta).length ? ` ${inspect(entry.meta, { depth: 4, breakLength: 160 })}` : '';
    this.lines.push(`${at} [${entry.level}] ${entry.message}${meta}`);
    if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 2000);
  }

  /** Everything logged since the last call. */
  take(): string[] {
    const taken = this.lines;
    this.lines = [];
    return taken;
  }

  /** Calls `listener` with every entry from now on (a test that asserts on worker warnings). */
  listen(listener: (entry: LogEntry) => void): void {
    this.listeners.push(listener);
  }
}

const KEY = '__nightshiftTestLog';
type WithLog = typeof globalThis & { [KEY]?: TestLog };

/** This test file's log, read by the jest environment through the file's global. */
export function testLog(): TestLog {
  const g = globalThis as WithLog;
  return (g[KEY] ??= new TestLog());
}

/**
 * Installs the Temporal Runtime with a logger that keeps entries in `testLog()`, Core's own log lines
 * forwarded to it too. Once per test file (jest gives each file its own module registry); a Runtime
 * some code already created is left as it is.
 */
export function installTestLogger(): void {
  const level = (process.env.NIGHTSHIFT_TEST_LOG as LogLevel | undefined) ?? 'WARN';
  const log = testLog();
  const live = process.env.NIGHTSHIFT_TEST_LOG_LIVE === '1' ? new DefaultLogger(level) : null;
  try {
    Runtime.install({
      logger: new DefaultLogger(level, (entry) => {
        log.add(entry);
        live?.log(entry.level, entry.message, entry.meta);
      }),
      telemetryOptions: { logging: { filter: { core: level, other: 'ERROR' }, forward: {} } },
    });
  } catch {
    /* a Runtime is already installed in this module registry */
  }
}
