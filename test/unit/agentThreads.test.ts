import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clearInterruptedThread,
  interruptedThreadFile,
  readInterruptedThread,
  readThreadUsage,
  threadUsageFile,
  writeInterruptedThread,
  writeThreadUsage,
} from '../../src/activities/session/agentThreads';
import { HomeLayout } from '../../src/activities/paths';

const layout = () => new HomeLayout(mkdtempSync(join(tmpdir(), 'threads-')));

describe('agent thread records on the worker', () => {
  it('keeps a thread\'s last usage total per build and thread', () => {
    const home = layout();
    const file = threadUsageFile(home, 'b1', '01a237d9-faf6/../x');
    expect(file.startsWith(home.buildDir('b1'))).toBe(true);
    expect(file).not.toContain('/../');
    expect(readThreadUsage(file)).toBeUndefined();
    writeThreadUsage(file, { inputTokens: 3000, cachedInputTokens: 200, outputTokens: 100 });
    expect(readThreadUsage(file)).toEqual({ inputTokens: 3000, cachedInputTokens: 200, outputTokens: 100 });
    writeThreadUsage(file, { inputTokens: 6000, cachedInputTokens: 300, outputTokens: 150 });
    expect(readThreadUsage(file)?.inputTokens).toBe(6000);
    expect(readThreadUsage(threadUsageFile(home, 'b2', '01a237d9-faf6/../x'))).toBeUndefined();
  });

  it('reads a torn or foreign usage file as no record (the session is then counted whole)', () => {
    const home = layout();
    const file = threadUsageFile(home, 'b1', 't');
    writeThreadUsage(file, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 });
    writeFileSync(file, '{"inputTokens": 12');
    expect(readThreadUsage(file)).toBeUndefined();
    writeFileSync(file, '{"inputTokens": -1, "cachedInputTokens": 0, "outputTokens": 0}');
    expect(readThreadUsage(file)).toBeUndefined();
  });

  it('remembers the thread a cancelled session of a step left, until a session of that step ends', () => {
    const home = layout();
    const file = interruptedThreadFile(home, 'b1', 'checkpoint-1-group-1.1');
    expect(readInterruptedThread(file)).toBeUndefined();
    writeInterruptedThread(file, '01a237e8-1d91-7941-a56f-691749af6a8e');
    expect(readInterruptedThread(file)).toBe('01a237e8-1d91-7941-a56f-691749af6a8e');
    expect(readInterruptedThread(interruptedThreadFile(home, 'b1', 'checkpoint-2-group-2.1'))).toBeUndefined();
    writeInterruptedThread(file, 'not a thread id; rm -rf /');
    expect(readInterruptedThread(file)).toBeUndefined();
    clearInterruptedThread(file);
    clearInterruptedThread(file);
    expect(readInterruptedThread(file)).toBeUndefined();
  });
});
