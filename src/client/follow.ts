import type { Client } from '@temporalio/client';
import { buildWorkflowId } from './builds';
import { statusQuery } from '../workflows/build/messages';
import { TERMINAL, type BuildStatusView } from '../workflows/build/state';
import { print as printLine } from './cli';

function describe(v: BuildStatusView): string {
  const where = v.position.checkpoint
    ? ` · checkpoint ${v.position.checkpoint}${v.position.taskGroup ? `, task group ${v.position.taskGroup}` : ''}`
    : '';
  return `${v.status}${v.reason ? ` (${v.reason})` : ''}${where} · ${v.percentComplete}%`;
}

/**
 * Follows a build live: prints each change of status, position, commit and the agent's latest
 * line, until the build finishes. Returns the final status.
 */
export async function followBuild(
  client: Client,
  label: string,
  intervalMs = 500,
  print: (line: string) => void = printLine,
): Promise<BuildStatusView> {
  const handle = client.workflow.getHandle(buildWorkflowId(label));
  let lastLine = '';
  let lastOutput: string | null = null;
  const committed = new Set<string>();
  let notes = 0;
  for (;;) {
    let view: BuildStatusView;
    try {
      view = await handle.query(statusQuery);
    } catch {
      await new Promise((r) => setTimeout(r, intervalMs));
      continue;
    }
    const line = describe(view) + (view.status === 'rate-limited' && view.waiting ? ` · ${view.waiting.message}` : '');
    if (line !== lastLine) print(`  ${new Date().toISOString().slice(11, 19)}  ${line}`);
    lastLine = line;
    if (view.lastOutput && view.lastOutput !== lastOutput && !TERMINAL.includes(view.status)) print(`             agent: ${view.lastOutput.slice(0, 120)}`);
    lastOutput = view.lastOutput;
    for (const cp of view.checkpoints) {
      if (cp.commit && !committed.has(cp.id)) {
        committed.add(cp.id);
        print(`             committed ${cp.commit.slice(0, 10)} checkpoint-${cp.id}: ${cp.title}`);
      }
    }
    for (const note of view.devNotes.slice(notes)) print(`             DevNote (${note.category}): ${note.content}`);
    notes = view.devNotes.length;
    if (view.waiting && view.status === 'awaiting-human') {
      print(`             waiting for you: ${view.waiting.message.split('\n')[0]}`);
      print(`             decide with: nightshift retry|override --note ...|skip --note ... ${label}`);
      return view;
    }
    if (TERMINAL.includes(view.status)) return view;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
