import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { nightshiftHome } from '../../config/connection';
import { NotFoundError } from '../../model/errors';
import { TERMINAL } from '../../workflows/build/state';
import { buildStatus } from '../builds';
import { type Command, oneLabel, parseOptions } from '../cli';
import { connect } from '../connect';

const Options = z.object({ follow: z.boolean().default(false), session: z.string().regex(/^\d+$/).optional() });

function sessionLogs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const number = (f: string) => Number(/\d+/.exec(f)?.[0]);
  return readdirSync(dir)
    .filter((f) => /^session-\d+\.log$/.test(f))
    .sort((a, b) => number(a) - number(b));
}

function readFrom(file: string, offset: number): { text: string; size: number } {
  const size = statSync(file).size;
  if (size <= offset) return { text: '', size };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return { text: buf.toString('utf8'), size };
  } finally {
    closeSync(fd);
  }
}

export const logs: Command = {
  name: 'logs',
  summary: "Show the transcript of a build's current (latest) agent session.",
  usage: 'nightshift logs LABEL [-f] [--session N]',
  help: `
Transcripts live in NIGHTSHIFT_HOME/builds/LABEL/sessions/session-NNN.log on the worker's machine.

Options:
  -f, --follow    keep printing as the agent writes, moving on to each new session, until the build finishes
  --session N     show session N instead of the latest`,
  async run(argv) {
    const { options, positionals } = parseOptions('logs', argv, { follow: { type: 'boolean', short: 'f' }, session: { type: 'string' } }, Options);
    const label = oneLabel('logs', positionals);
    const dir = join(nightshiftHome(), 'builds', label, 'sessions');
    const pick = () => {
      const all = sessionLogs(dir);
      if (options.session) {
        const name = `session-${options.session.padStart(3, '0')}.log`;
        return all.includes(name) ? name : undefined;
      }
      return all[all.length - 1];
    };
    if (!options.follow) {
      const file = pick();
      if (!file) throw new NotFoundError(`no session transcripts for build "${label}" in ${dir}`, 'Is NIGHTSHIFT_HOME the same as the worker\'s?');
      process.stdout.write(readFrom(join(dir, file), 0).text);
      return 0;
    }
    const { client, close } = await connect();
    try {
      let current: string | undefined;
      let offset = 0;
      let checkedAt = 0;
      for (;;) {
        const latest = pick();
        if (latest && latest !== current) {
          current = latest;
          offset = 0;
        }
        if (current) {
          const { text, size } = readFrom(join(dir, current), offset);
          process.stdout.write(text);
          offset = size;
        }
        if (Date.now() - checkedAt > 2000) {
          checkedAt = Date.now();
          const view = await buildStatus(client, label);
          if (TERMINAL.includes(view.status)) return 0;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      await close();
    }
  },
};
