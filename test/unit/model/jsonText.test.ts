import { jsonSyntaxProblem } from '../../../src/model/jsonText';

function problem(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return jsonSyntaxProblem(err, text);
  }
  throw new Error('expected invalid JSON');
}

describe('JSON syntax errors name the line and column', () => {
  it.each([
    ['{\n  "title": "x",\n  "checkpoints": [\n}\n', "line 4, column 1: not valid JSON (Unexpected token '}')"],
    ['{\n  "phases": {,\n}', "line 2, column 14: not valid JSON (Expected property name or '}')"],
    ['[1,\n 2,,]', "line 2, column 4: not valid JSON (Unexpected token ',')"],
    ['', 'line 1, column 1: not valid JSON (the text ends too soon)'],
    ['{"a": 1', "line 1, column 8: not valid JSON (Expected ',' or '}' after property value)"],
    ['[1, 2, 3, 4, 5, 6, 7, 8, x, 9, 10, 11, 12]', "line 1, column 26: not valid JSON (Unexpected token 'x')"],
  ])('%j', (text, expected) => {
    expect(problem(text)).toBe(expected);
  });
});
