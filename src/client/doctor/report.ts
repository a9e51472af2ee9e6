/** One line of `nightshift doctor`: also the element of its `--json` array. */
export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
  /** The one command (or setting) that fixes it; null when it is fine. */
  fix: string | null;
}

/** Exit code of doctor: 0 when everything it checked is ready. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  return results.every((r) => r.ok) ? 0 : 1;
}

/**
 * The human table: check, ok/MISSING, detail, and under every miss the command that fixes it.
 * Plain text and fixed columns, so it reads the same in a terminal, a CI log or an issue.
 */
export function renderTable(results: readonly CheckResult[]): string {
  const width = Math.max('CHECK'.length, ...results.map((r) => r.check.length));
  const pad = ' '.repeat(width + 2 + 7 + 2);
  const lines = [`${'CHECK'.padEnd(width)}  ${'STATUS'.padEnd(7)}  DETAIL`];
  for (const r of results) {
    lines.push(`${r.check.padEnd(width)}  ${(r.ok ? 'ok' : 'MISSING').padEnd(7)}  ${r.detail}`);
    if (!r.ok && r.fix) lines.push(`${pad}fix: ${r.fix}`);
  }
  const misses = results.filter((r) => !r.ok).length;
  lines.push('', misses === 0 ? 'Everything checked is ready.' : `${misses} check${misses === 1 ? '' : 's'} need${misses === 1 ? 's' : ''} fixing (see "fix:" above).`);
  return lines.join('\n');
}
