import { readFileSync } from 'node:fs';
import { InvalidDocumentError, NotFoundError } from './errors';
import { jsonSyntaxProblem } from './jsonText';
import { type Plan, PlanSchema } from './plan';
import { describeIssues } from './zodIssues';

/** Reads and validates a plan file; every problem is reported with its path inside the file. */
export function loadPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new NotFoundError(`plan file ${file} does not exist or cannot be read`, 'Check the --plan path.');
  }
  return parsePlanText(text, file);
}

export function parsePlanText(text: string, file: string): Plan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidDocumentError(file, [jsonSyntaxProblem(err, text)], 'See docs/plan-format.md for the plan format.');
  }
  const parsed = PlanSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidDocumentError(file, describeIssues(parsed.error), 'See docs/plan-format.md for the plan format.');
  }
  return parsed.data;
}
