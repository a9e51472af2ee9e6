import type { Client } from '@temporalio/client';
import type * as LogUpdate from 'log-update';
import { loopStatusQuery } from '../../workflows/loop/messages';
import { statusQuery } from '../../workflows/build/messages';
import { type BoardRow, isFinished, plainLine, renderBoard, rowFromBuild, rowFromBuildListing, rowFromLoop, rowFromLoopListing, rowKey } from '../board';
import { listBuilds } from '../builds';
import { listLoops } from '../loops';

/** A run that did not answer its status query (no worker for it) is asked again after this long. */
const QUIET_MS = 30_000;
const QUERY_DEADLINE_MS = 1500;

export interface WatchOptions {
  /** Only labels containing this text. */
  filter?: string;
  intervalMs?: number;
  out?: NodeJS.WriteStream;
}

/**
 * `nightshift status --watch`: the board, redrawn in place on a terminal (log-update), or plain
 * tab-separated lines, printed again only when a row changes, when stdout is a pipe or a file.
 * Runs until Ctrl-C.
 */
export async function watchBoard(client: Client, options: WatchOptions = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const every = options.intervalMs ?? 2000;
  const board = new BoardSource(client, options.filter);
  const draw = out.isTTY ? await terminalDrawer(out) : plainDrawer(out);
  let stopped = false;
  const stop = new Promise<void>((resolve) => {
    const onSignal = () => {
      stopped = true;
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  while (!stopped) {
    draw.frame(await board.rows());
    await Promise.race([stop, new Promise((r) => setTimeout(r, every))]);
  }
  draw.done();
  return 0;
}

interface Drawer {
  frame(rows: BoardRow[]): void;
  done(): void;
}

/** log-update is ESM-only; a real dynamic import (not the `require` tsc would make of it) loads it. */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<typeof LogUpdate>;

async function terminalDrawer(out: NodeJS.WriteStream): Promise<Drawer> {
  const { createLogUpdate } = await importEsm('log-update');
  const update = createLogUpdate(out, { showCursor: false });
  return {
    frame(rows) {
      const lines = renderBoard(rows, { width: out.columns || 120, nowMs: Date.now() });
      // Lines that scrolled off the top could not be erased: keep the board within the screen.
      update(lines.slice(0, Math.max(3, (out.rows || 40) - 1)).join('\n'));
    },
    done() {
      update.done();
    },
  };
}

function plainDrawer(out: NodeJS.WriteStream): Drawer {
  const printed = new Map<string, string>();
  return {
    frame(rows) {
      const now = Date.now();
      const time = new Date(now).toISOString().slice(11, 19);
      for (const r of rows) {
        const id = `${r.kind}:${r.label}`;
        const key = rowKey(r);
        if (printed.get(id) === key) continue;
        printed.set(id, key);
        out.write(`${time}\t${plainLine(r, now)}\n`);
      }
    },
    done() {},
  };
}

/** Rows from the workflow list, each live run enriched by its status query when it answers in time. */
class BoardSource {
  private readonly quietUntil = new Map<string, number>();

  constructor(
    private readonly client: Client,
    private readonly filter: string | undefined,
  ) {}

  async rows(): Promise<BoardRow[]> {
    const [builds, loops] = await Promise.all([listBuilds(this.client, 200), listLoops(this.client, { limit: 200 })]);
    const wanted = (label: string) => !this.filter || label.includes(this.filter);
    const buildRows = builds.filter((b) => wanted(b.label)).map(async (b) => {
      const row = rowFromBuildListing(b);
      if (isFinished(row)) return row;
      const view = await this.ask(b.workflowId, () => this.client.workflow.getHandle(b.workflowId, b.runId).query(statusQuery));
      return view ? rowFromBuild(view) : row;
    });
    const loopRows = loops.filter((l) => wanted(l.taskName)).map(async (l) => {
      const row = rowFromLoopListing(l);
      const id = l.workflowId;
      if (isFinished(row) || !id) return row;
      const view = await this.ask(id, () => this.client.workflow.getHandle(id).query(loopStatusQuery));
      return view ? rowFromLoop(view) : row;
    });
    return Promise.all([...buildRows, ...loopRows]);
  }

  /** The query's answer, or null when the run has no worker to answer it (then not asked again for a while). */
  private async ask<T>(workflowId: string, query: () => Promise<T>): Promise<T | null> {
    if ((this.quietUntil.get(workflowId) ?? 0) > Date.now()) return null;
    try {
      return await this.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, query);
    } catch {
      this.quietUntil.set(workflowId, Date.now() + QUIET_MS);
      return null;
    }
  }
}
