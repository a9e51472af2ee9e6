/**
 * `npm run bench:readme`: the README's benchmark table, regenerated from bench/results/*.json.
 * For each part the newest full-size run that measured it is used (a `--quick` run only where no
 * full one exists), so parts run on their own (`--only=scale`) fill in their rows. The table goes
 * between the README's `<!-- bench:table -->` and `<!-- /bench:table -->` markers.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchSummary, benchRows, type Part } from './rows';

const ROOT = join(__dirname, '..', '..');
const START = '<!-- bench:table -->';
const END = '<!-- /bench:table -->';
const PARTS: { part: Part; key: keyof BenchSummary }[] = [
  { part: 'orchestration', key: 'orchestration' },
  { part: 'history', key: 'history' },
  { part: 'queue', key: 'queue' },
  { part: 'scale', key: 'scale' },
  { part: 'signals', key: 'signals' },
  { part: 'loss', key: 'workerLoss' },
];

export function loadResults(dir = join(ROOT, 'bench', 'results')): { file: string; summary: BenchSummary }[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}-.*\.json$/.test(f))
    .sort()
    .map((file) => ({ file, summary: JSON.parse(readFileSync(join(dir, file), 'utf8')) as BenchSummary }));
}

/** The markdown table: one row per figure, with its target, the load while it was measured and its run. */
export function benchTable(results: { file: string; summary: BenchSummary }[]): string {
  const lines = ['| measure | result | target | load (1 min, before → after) | run |', '| --- | --- | --- | --- | --- |'];
  for (const { part, key } of PARTS) {
    const newest = (full: boolean) => [...results].reverse().find((r) => r.summary[key] && (!full || r.summary.mode !== 'quick'));
    const chosen = newest(true) ?? newest(false);
    if (!chosen) continue;
    const only: BenchSummary = { at: chosen.summary.at, [key]: chosen.summary[key], checkpoints: chosen.summary.checkpoints, runs: chosen.summary.runs };
    const load = chosen.summary.load?.[part];
    for (const row of benchRows(only).filter((r) => r.part === part)) {
      const mark = row.met === null ? '' : row.met ? ' ✓' : ' ✗';
      lines.push(`| ${row.what} | ${row.got} | ${row.target}${mark} | ${load ? `${load.before} → ${load.after}` : 'not recorded'} | ${chosen.file.replace(/\.json$/, '')}${chosen.summary.mode === 'quick' ? ' (quick)' : ''} |`);
    }
  }
  return lines.join('\n');
}

export function writeReadmeTable(readme = join(ROOT, 'README.md')): void {
  const text = readFileSync(readme, 'utf8');
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${readme} has no ${START} ... ${END} markers to put the table between`);
  const table = benchTable(loadResults());
  writeFileSync(readme, `${text.slice(0, from + START.length)}\n${table}\n${text.slice(to)}`);
}

if (require.main === module) {
  writeReadmeTable();
  process.stdout.write(`README.md: benchmark table regenerated from bench/results\n`);
}
