/**
 * JSON.parse errors a person can act on: the line and column of the mistake instead of a character
 * offset ("at position 31") or a snippet ("Unexpected token '}', ..."x": [ }" is not valid JSON").
 */
export function jsonSyntaxProblem(err: unknown, text: string): string {
  const message = (err as Error).message;
  const position = errorPosition(message, text);
  const reason = message
    .replace(/\s*in JSON at position \d+.*$/s, '')
    .replace(/^(Unexpected token '.*?'), (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, '$1')
    .replace(/^Unexpected end of JSON input$/, 'the text ends too soon');
  if (position === undefined) return `not valid JSON (${reason})`;
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before[before.length - 1] ?? '').length + 1}: not valid JSON (${reason})`;
}

/** V8 gives a position, or the 10 characters either side of the bad token, or says the text ended. */
function errorPosition(message: string, text: string): number | undefined {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (/end of JSON input/i.test(message)) return text.length;
  const snippet = /^Unexpected token '(.*?)', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (!snippet) return undefined;
  const [, token, cutBefore, context, cutAfter] = snippet as unknown as [string, string, string | undefined, string, string | undefined];
  const start = text.indexOf(context);
  if (start < 0) return undefined;
  if (cutBefore) return start + 10;
  if (cutAfter) return start + Math.max(0, context.length - 10);
  return start + Math.max(0, context.lastIndexOf(token));
}

/** JSON.parse, throwing `jsonSyntaxProblem`'s message. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(jsonSyntaxProblem(err, text));
  }
}
