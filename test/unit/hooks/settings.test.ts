import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedLoops, installStopHook, mergeStopHook, removeStopHook, type StopHookSpec, unmergeStopHook } from '../../../src/hooks/settings';
import { InvalidDocumentError } from '../../../src/model/errors';

const spec = (taskName: string, repo = '/work/repo'): StopHookSpec => ({ script: '/opt/nightshift/dist/src/hooks/stopHook.js', taskName, repo, address: '127.0.0.1:7233', namespace: 'default' });

const theirs = {
  permissions: { allow: ['Bash(npm test)'] },
  env: { FOO: '1' },
  hooks: {
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'check-bash' }] }],
    Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }],
  },
};

describe('the Stop hook in settings.local.json', () => {
  it('is added after the person’s own Stop hooks, leaving every other setting as it was', () => {
    const merged = mergeStopHook(theirs, spec('fix-tests'));
    expect(merged.permissions).toEqual(theirs.permissions);
    expect(merged.env).toEqual(theirs.env);
    const hooks = merged.hooks as typeof theirs.hooks;
    expect(hooks.PreToolUse).toEqual(theirs.hooks.PreToolUse);
    expect(hooks.Stop).toHaveLength(2);
    expect(hooks.Stop[0]).toEqual(theirs.hooks.Stop[0]);
    const command = hooks.Stop[1]?.hooks[0]?.command ?? '';
    expect(command).toContain(`'/opt/nightshift/dist/src/hooks/stopHook.js' --nightshift-loop 'fix-tests' --repo '/work/repo' --address '127.0.0.1:7233' --namespace 'default'`);
    expect(hooks.Stop[1]?.hooks[0]).toMatchObject({ type: 'command', timeout: 30 });
    expect(installedLoops(merged)).toEqual(['fix-tests']);
  });

  it('is idempotent: installing twice leaves one entry', () => {
    const twice = mergeStopHook(mergeStopHook(theirs, spec('fix-tests')), spec('fix-tests'));
    expect(twice).toEqual(mergeStopHook(theirs, spec('fix-tests')));
  });

  it('comes out again leaving exactly what was there', () => {
    expect(unmergeStopHook(mergeStopHook(theirs, spec('fix-tests')), 'fix-tests')).toEqual(theirs);
  });

  it('takes out only the named loop’s entry', () => {
    const both = mergeStopHook(mergeStopHook(theirs, spec('a')), spec('b'));
    expect(installedLoops(unmergeStopHook(both, 'a'))).toEqual(['b']);
    expect(installedLoops(unmergeStopHook(both))).toEqual([]);
  });

  it('leaves no empty Stop or hooks behind when it was the only hook', () => {
    const only = mergeStopHook({ model: 'sonnet' }, spec('x'));
    expect(unmergeStopHook(only, 'x')).toEqual({ model: 'sonnet' });
    expect(unmergeStopHook(mergeStopHook({}, spec('x')), 'x')).toEqual({});
  });

  it('keeps a hook group shared with the person’s hooks, minus ours', () => {
    const shared = { hooks: { Stop: [{ hooks: [{ type: 'command', command: 'mine' }, ...(mergeStopHook({}, spec('x')).hooks as { Stop: { hooks: unknown[] }[] }).Stop[0]!.hooks] }] } };
    expect(unmergeStopHook(shared, 'x')).toEqual({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'mine' }] }] } });
  });

  it('quotes names and paths for the shell, and reads them back', () => {
    const odd = mergeStopHook({}, spec("it's", "/tmp/a repo/it's"));
    expect(installedLoops(odd)).toEqual(["it's"]);
    expect(unmergeStopHook(odd, "it's")).toEqual({});
  });

  it('leaves settings without our hook untouched (the same object)', () => {
    expect(unmergeStopHook(theirs, 'x')).toBe(theirs);
    expect(unmergeStopHook({ hooks: 'odd' }, 'x')).toEqual({ hooks: 'odd' });
  });
});

describe('the settings file', () => {
  const repo = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-settings-'));
    mkdirSync(join(dir, '.claude'));
    return dir;
  };

  it('is merged on disk and restored on removal; an emptied file goes', () => {
    const dir = repo();
    const file = join(dir, '.claude', 'settings.local.json');
    writeFileSync(file, JSON.stringify(theirs));
    installStopHook(spec('t', dir));
    installStopHook(spec('t', dir));
    expect(installedLoops(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)).toEqual(['t']);
    expect(removeStopHook(dir, 't')).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(theirs);
    expect(removeStopHook(dir, 't')).toBe(false);

    const fresh = repo();
    installStopHook(spec('t', fresh));
    expect(removeStopHook(fresh, 't')).toBe(true);
    expect(existsSync(join(fresh, '.claude', 'settings.local.json'))).toBe(false);
  });

  it('is never overwritten when it is not JSON', () => {
    const dir = repo();
    const file = join(dir, '.claude', 'settings.local.json');
    writeFileSync(file, '{ "permissions": ');
    expect(() => installStopHook(spec('t', dir))).toThrow(InvalidDocumentError);
    expect(readFileSync(file, 'utf8')).toBe('{ "permissions": ');
    expect(removeStopHook(dir, 't')).toBe(false);
  });
});
