import { execFileSync } from 'node:child_process';
import { fillPlaceholders, splitArgv } from '../../src/agents/argv';
import { InvalidInputError } from '../../src/model/errors';

describe('splitArgv', () => {
  it.each([
    ['agent run', ['agent', 'run']],
    ['  agent   run  ', ['agent', 'run']],
    [`agent "two words" 'single quoted'`, ['agent', 'two words', 'single quoted']],
    [`agent --msg="a b"`, ['agent', '--msg=a b']],
    [`agent it\\'s`, ['agent', "it's"]],
    [`agent "say \\"hi\\""`, ['agent', 'say "hi"']],
    [`agent 'no $HOME expansion' "nor \\$HOME"`, ['agent', 'no $HOME expansion', 'nor $HOME']],
    [`agent ""`, ['agent', '']],
    [`agent a\\ b`, ['agent', 'a b']],
  ])('%s', (input, expected) => {
    expect(splitArgv(input)).toEqual(expected);
  });

  it('keeps shell syntax as plain arguments: no injection', () => {
    expect(splitArgv('echo hi; rm -rf / | cat > out && $(whoami) `id`')).toEqual([
      'echo', 'hi;', 'rm', '-rf', '/', '|', 'cat', '>', 'out', '&&', '$(whoami)', '`id`',
    ]);
  });

  it('really does not run a shell: `;` reaches the program as an argument', () => {
    const argv = splitArgv(`${process.execPath} -e "console.log(JSON.stringify(process.argv.slice(1)))" a; touch /tmp/pwned-${process.pid}`);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(['a;', 'touch', `/tmp/pwned-${process.pid}`]);
  });

  it('refuses an unterminated quote, naming the flag', () => {
    expect(() => splitArgv(`agent "open`)).toThrow(InvalidInputError);
    expect(() => splitArgv(`agent "open`)).toThrow(/--agent-command: unterminated " quote/);
  });

  it('refuses an empty command', () => {
    expect(() => splitArgv('   ')).toThrow(/empty/);
  });
});

describe('fillPlaceholders', () => {
  it('replaces {prompt_file} inside arguments without re-splitting the value', () => {
    expect(fillPlaceholders(['agent', '--file={prompt_file}', '{prompt_file}', '{unknown}'], { prompt_file: '/tmp/a b.md' })).toEqual([
      'agent', '--file=/tmp/a b.md', '/tmp/a b.md', '{unknown}',
    ]);
  });
});
