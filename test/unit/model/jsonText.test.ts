import { jsonSyntaxProblem, lineOfPath } from '../../../src/model/jsonText';

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
    ['{\n  "title": "x",\n  "checkpoints": [\n}\n', "not valid JSON at line 4, column 1: Unexpected token '}'"],
    ['{\n  "phases": {,\n}', "not valid JSON at line 2, column 14: Expected property name or '}'"],
    ['[1,\n 2,,]', "not valid JSON at line 2, column 4: Unexpected token ','"],
    ['', 'not valid JSON at line 1, column 1: the text ends too soon'],
    ['{"a": 1', "not valid JSON at line 1, column 8: Expected ',' or '}' after property value"],
    ['[1, 2, 3, 4, 5, 6, 7, 8, x, 9, 10, 11, 12]', "not valid JSON at line 1, column 26: Unexpected token 'x'"],
  ])('%j', (text, expected) => {
    expect(problem(text)).toBe(expected);
  });
});

describe('the line of a path in a JSON document', () => {
  const text = '{\n  "title": "x",\n  "checkpoints": [\n    {\n      "id": 1,\n      "title": 5,\n      "task_groups": []\n    }\n  ]\n}\n';

  it.each([
    [['title'], 2],
    [['checkpoints'], 3],
    [['checkpoints', 0], 4],
    [['checkpoints', 0, 'title'], 6],
    [['checkpoints', 0, 'task_groups'], 7],
    // A missing field: the line of the object that lacks it.
    [['checkpoints', 0, 'goal'], 4],
    [[], 1],
  ])('%j is on line %d', (path, line) => {
    expect(lineOfPath(text, path)).toBe(line);
  });

  it('handles escapes, nesting and one-line documents', () => {
    expect(lineOfPath('{"a": "x\\"}", "b": [1, {"c": true}]}', ['b', 1, 'c'])).toBe(1);
    expect(lineOfPath('[\n"a,]",\n{"k": null}\n]', [1, 'k'])).toBe(3);
    expect(lineOfPath('{ not json', ['a'])).toBeUndefined();
  });
});
