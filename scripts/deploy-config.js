#!/usr/bin/env node
// Writes deploy/temporal/ (the Temporal server config and scripts docker-compose.yml mounts) from the
// code `nightshift server --postgres` runs, so the two cannot drift (test/unit/deployFiles.test.ts
// fails when they do). Run: npm run build && npm run deploy:config
const { mkdirSync, writeFileSync, chmodSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { deployFiles } = require('../dist/src/server/deployFiles');

const root = join(__dirname, '..', 'deploy', 'temporal');
for (const [file, text] of Object.entries(deployFiles())) {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  if (file.endsWith('.sh')) chmodSync(path, 0o755);
  process.stdout.write(`wrote ${path}\n`);
}
