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
  return `not valid JSON at line ${before.length}, column ${(before[before.length - 1] ?? '').length + 1}: ${reason}`;
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

/**
 * The line where the value at `path` starts in JSON `text` (for a missing key: the line of the object
 * that lacks it), so a schema error can say where to look. Undefined when the text does not parse.
 * A small scanner: it tracks paths and lines, values themselves were already checked by JSON.parse.
 */
export function lineOfPath(text: string, path: readonly PropertyKey[]): number | undefined {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i] as string)) {
      if (text[i] === '\n') line++;
      i++;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (key: string): void => {
    skip();
    lines.set(key, line);
    const c = text[i];
    if (c === '{') {
      i++;
      skip();
      if (text[i] === '}') return void i++;
      while (i < text.length) {
        skip();
        const k = str();
        skip();
        i++; // :
        value(`${key}/${k}`);
        skip();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      skip();
      if (text[i] === ']') return void i++;
      for (let n = 0; i < text.length; n++) {
        value(`${key}/${n}`);
        skip();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') str();
    else while (i < text.length && !/[\s,\]}]/.test(text[i] as string)) i++;
  };
  try {
    JSON.parse(text);
    value('');
  } catch {
    return undefined;
  }
  for (let n = path.length; n >= 0; n--) {
    const found = lines.get(path.slice(0, n).map((p) => `/${String(p)}`).join(''));
    if (found !== undefined) return found;
  }
  return undefined;
}
