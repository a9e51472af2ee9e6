import { ZodError } from 'zod';
import { NightshiftError } from '../model/errors';
import { describeIssues } from '../model/zodIssues';

/** The one place errors become messages and exit codes. No stack traces unless NIGHTSHIFT_DEBUG=1. */
export function reportError(err: unknown): number {
  const debug = process.env.NIGHTSHIFT_DEBUG === '1';
  if (err instanceof NightshiftError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.suggestion) process.stderr.write(`hint: ${err.suggestion}\n`);
    if (debug) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  if (err instanceof ZodError) {
    process.stderr.write(`error: invalid input:\n${describeIssues(err).map((l) => `  - ${l}`).join('\n')}\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  process.stderr.write(debug && err instanceof Error ? `${err.stack}\n` : 'hint: run with NIGHTSHIFT_DEBUG=1 for details.\n');
  return 1;
}
