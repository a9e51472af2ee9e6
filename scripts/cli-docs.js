#!/usr/bin/env node
// Writes docs/cli.md from the built CLI's own --help output, so the reference cannot drift from the
// code (test/integration/cli.test.ts fails when it is stale). Run: npm run build && npm run docs:cli
const { execFileSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'src', 'client', 'index.js');
const help = (args) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

function render() {
  const top = help(['--help']);
  const names = [...top.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
  const parts = ['# `nightshift` command reference', '', 'Generated from `--help` by `npm run docs:cli`.', '', '```text', top.trimEnd(), '```', ''];
  for (const name of names) parts.push(`## nightshift ${name}`, '', '```text', help([name, '--help']).trimEnd(), '```', '');
  return parts.join('\n');
}

module.exports = { render };
if (require.main === module) {
  writeFileSync(join(__dirname, '..', 'docs', 'cli.md'), render());
  process.stdout.write('wrote docs/cli.md\n');
}
