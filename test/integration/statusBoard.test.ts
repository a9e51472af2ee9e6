import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { scenarioBuild, untilStatus } from '../support/builds';
import { tempDir } from '../support/repo';
import { eventually, TestEnv } from '../support/temporal';

/**
 * `nightshift status --watch` in a real terminal: the dist CLI runs in a detached tmux session (its
 * own tmux server socket), the test reads the screen with capture-pane and stops it with send-keys.
 */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'client', 'index.js');
const SOCKET = `nightshift-board-${process.pid}`;
const SESSION = 'board';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.connect();
});
afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
  await env.close();
});

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The whole pane, scrollback included: a board that stacked frames instead of redrawing would show here. */
function screen(): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', SESSION);
}

function sessionAlive(): boolean {
  try {
    tmux('has-session', '-t', SESSION);
    return true;
  } catch {
    return false;
  }
}

const watchEnv = (home: string) => ({ TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS as string, NIGHTSHIFT_HOME: home, NIGHTSHIFT_UI_URL: 'http://127.0.0.1:1' });

describe('nightshift status --watch', () => {
  it('shows a live board in a terminal, the build waiting for you first with its command, and redraws in place when a build completes; piped, it prints plain lines', async () => {
    const filter = `-${process.pid}-`;
    const waiting = await scenarioBuild(env, {
      name: 'boardwait',
      checkpoints: 2,
      scenario: { rules: [{ when: { checkpoint: '1' }, do: [{ print: 'cannot find the schema' }, { exit: 1 }] }] },
    });
    const busy = await scenarioBuild(env, {
      name: 'boardbusy',
      checkpoints: 1,
      policy: { stallTimeout: '16s' },
      scenario: { rules: [{ when: { checkpoint: '1' }, do: [{ tick: { every: 300, count: 50, text: 'writing the todo store' } }, { edit: true }] }] },
    });
    const home = tempDir('board-home');
    await waiting.run((hw) =>
      busy.run(async (hb) => {
        await untilStatus(hw, (v) => v.status === 'awaiting-human', 'the first build to wait for the person');
        await untilStatus(hb, (v) => v.lastOutput?.startsWith('writing the todo store') === true, 'the second build to talk');

        const vars = Object.entries(watchEnv(home)).map(([k, v]) => `${k}=${v}`);
        tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '45', 'env', ...vars, process.execPath, CLI, 'status', '--watch', `--filter=${filter}`);
        const first = await eventually(() => {
          const text = screen();
          return text.includes(waiting.label) && text.includes(busy.label) && text.includes('writing the todo store') ? text : undefined;
        }, 60_000, 'the board with both builds');
        const lines = first.split('\n');
        const at = (needle: string) => lines.findIndex((l) => l.includes(needle));
        expect(at('WAITING FOR YOU')).toBeGreaterThanOrEqual(0);
        expect(at('WAITING FOR YOU')).toBeLessThan(at(waiting.label));
        expect(at(waiting.label)).toBeLessThan(at('ACTIVE'));
        expect(at('ACTIVE')).toBeLessThan(at(busy.label));
        expect(lines[at(waiting.label)]).toContain('awaiting-human (escalated)');
        expect(lines[at(waiting.label)]).toMatch(/checkpoint 1\/2 · 1\.1 +\[░{10}\] +0%/);
        expect(lines[at(waiting.label) + 1]).toContain(`› nightshift retry ${waiting.label} | nightshift override ${waiting.label} --note "…"`);
        expect(first).toContain('agent: cannot find the schema');
        expect(lines[at(busy.label)]).toMatch(/running +checkpoint 1\/1 · 1\.1/);
        expect(first).toContain('agent: writing the todo store');

        // Piped, the same command prints plain lines: no drawing, one tab-separated line per build.
        const plain = await pipedBoard(filter, home, [waiting.label, busy.label]);
        expect(plain).not.toContain('\u001b');
        const waitLine = plain.split('\n').find((l) => l.includes(`\t${waiting.label}\t`)) ?? '';
        expect(waitLine.split('\t').slice(1, 4)).toEqual(['build', waiting.label, 'awaiting-human (escalated)']);
        expect(waitLine).toContain(`act: nightshift retry ${waiting.label}`);

        await hb.result();
        const after = await eventually(() => {
          const text = screen();
          const ls = text.split('\n');
          const row = ls.find((l) => l.includes(busy.label));
          return row?.includes('completed') ? text : undefined;
        }, 60_000, 'the board to show the second build completed');
        const ls = after.split('\n');
        expect(ls.findIndex((l) => l.includes('FINISHED'))).toBeLessThan(ls.findIndex((l) => l.includes(busy.label)));
        expect(ls.find((l) => l.includes(busy.label))).toContain('[██████████] 100%');
        // Redrawn in place: one board on the screen and in its scrollback, however many frames were drawn.
        expect(after.match(/Nightshift · /g)).toHaveLength(1);
        expect(after.match(new RegExp(busy.label, 'g'))).toHaveLength(1);

        tmux('send-keys', '-t', SESSION, 'C-c');
        await eventually(() => (sessionAlive() ? undefined : true), 15_000, 'the board to quit on Ctrl-C');
        await hw.cancel();
      }),
    );
  });
});

/** `status --watch` with stdout a pipe, read until every label has a line, then stopped. */
function pipedBoard(filter: string, home: string, labels: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'status', '--watch', `--filter=${filter}`], { env: { ...process.env, ...watchEnv(home) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no plain board within 60 s: ${out}${err}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (labels.every((l) => out.includes(`\t${l}\t`))) child.kill('SIGINT');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 || labels.every((l) => out.includes(`\t${l}\t`))) resolve(out);
      else reject(new Error(`status --watch exited ${code}: ${err}`));
    });
  });
}
