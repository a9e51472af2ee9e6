import { readFileSync } from 'node:fs';

/** docs/files.md shows each seed-001 report as the renderer writes it (regenerate with npm run docs:reports). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const docs = require('../../scripts/seed-report-docs.js') as { update(text: string): string; FILE: string };

describe('docs/files.md', () => {
  it('has the seed-001 report examples the built renderer writes', () => {
    const text = readFileSync(docs.FILE, 'utf8');
    expect(text).toBe(docs.update(text));
    for (const heading of ['## Build Phase - Checkpoint 1', '## Checkpoint 1 Complete ✅', '## Build Paused ⏸️', '## Verification Failed ⚠️', '## Build Complete 🎉']) expect(text).toContain(heading);
  });
});
