import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomic } from '../atomicFile';

/**
 * Where each Temporal server's Web UI is, as `nightshift server` recorded it: the CLI and workers
 * link to the UI of the server they talk to, not to a guessed port. One small JSON file in
 * NIGHTSHIFT_HOME, keyed by frontend address.
 */
const Records = z.record(z.string(), z.object({ uiUrl: z.string(), recordedAt: z.string() }));

export function uiRecordFile(home: string): string {
  return join(home, 'servers.json');
}

/** `localhost:7233`, `127.0.0.1:7233` and `0.0.0.0:7233` name the same local server. */
export function addressKey(address: string): string {
  return address.trim().replace(/^(localhost|0\.0\.0\.0|\[::1\]|::1)(?=:\d+$)/, '127.0.0.1');
}

function readRecords(home: string): z.infer<typeof Records> {
  try {
    const parsed = Records.safeParse(JSON.parse(readFileSync(uiRecordFile(home), 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export function recordUiUrl(home: string, address: string, uiUrl: string, at = new Date()): void {
  const file = uiRecordFile(home);
  const records = { ...readRecords(home), [addressKey(address)]: { uiUrl, recordedAt: at.toISOString() } };
  writeAtomic(file, `${JSON.stringify(records, null, 2)}\n`);
}

export function recordedUiUrl(home: string, address: string): string | undefined {
  return readRecords(home)[addressKey(address)]?.uiUrl;
}
