import { readFileSync } from 'node:fs';
import { InvalidDocumentError, NotFoundError } from './errors';
import { jsonSyntaxProblem, lineOfPath } from './jsonText';
import { type Plan, PlanSchema } from './plan';
import { formatPath } from './zodIssues';

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
    // On a multi-line file, each problem also says the line to look at.
    const multiline = text.trim().includes('\n');
    const problems = parsed.error.issues.map((issue) => {
      const line = multiline ? lineOfPath(text, issue.path) : undefined;
      return `${formatPath(issue.path)}: ${issue.message}${line ? ` (line ${line})` : ''}`;
    });
    throw new InvalidDocumentError(file, problems, 'See docs/plan-format.md for the plan format.');
  }
  return parsed.data;
}
