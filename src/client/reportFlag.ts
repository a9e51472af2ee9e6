import type { SeedReport } from '../model/seedReports';
import { InvalidInputError } from '../model/errors';

/**
 * `--report` (the latest seed-001 report) or `--report all`. The flag's value is optional, which
 * parseArgs cannot say: a bare `--report` gets `latest` before the options are parsed.
 */
export function withReportValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((arg, i) => {
    out.push(arg);
    const next = argv[i + 1];
    if (arg === '--report' && next !== 'all' && next !== 'latest') out.push('latest');
  });
  return out;
}

/** The reports to print for `--report latest|all`, or a message saying there are none yet. */
export function selectReports(label: string, reports: SeedReport[], which: string): string {
  if (which !== 'latest' && which !== 'all') throw new InvalidInputError(`--report takes no value or "all", not "${which}"`, '--report');
  if (reports.length === 0) return `Build ${label} has no report yet (reports are written when a checkpoint starts, completes, fails verification or pauses, and when the build completes).`;
  const chosen = which === 'all' ? reports : reports.slice(-1);
  return chosen.map((r) => r.markdown).join('\n\n---\n\n');
}
