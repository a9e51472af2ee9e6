/**
 * The prompts of seed 003's loop sessions: pure, so the workflow builds them and tests read them.
 * Structured mode: session 1 is the initializer, later sessions are executors. Lightweight mode
 * (Ralph): the same prompt every session; the agent sees its previous work in the files and git.
 */
import type { LoopMode } from './taskList';

export interface LoopPromptInput {
  task: string;
  taskName: string;
  mode: LoopMode;
  session: number;
  completionPromise: string;
  /** The first unticked item of task_list.md before this session (structured mode). */
  nextItem: string | null;
  /** Why the last claimed completion was refused, told once. */
  rejection: string | null;
  verify?: string;
}

export function loopPrompt(input: LoopPromptInput): string {
  const dir = `.autonomous/${input.taskName}`;
  const promise = `<promise>${input.completionPromise}</promise>`;
  const lines = [`# Task: ${input.taskName}`, '', input.task.trim(), ''];
  if (input.mode === 'lightweight') {
    lines.push(
      '## How to work',
      '',
      'You are one session of a loop that runs this same prompt again until the task is done.',
      'Look at the repository and its git history to see what earlier sessions did, then make the next',
      'concrete step of progress. Keep the work committed-ready: the loop commits after every session.',
    );
  } else if (input.session === 1) {
    lines.push(
      '## You are the initializer session',
      '',
      `1. Analyse the task and the repository.`,
      `2. Expand \`${dir}/task_list.md\` into phased sub-tasks, one \`- [ ]\` checkbox each. Its first items are`,
      '   the completion criteria: keep them. Never delete or untick an item.',
      '3. Start the work: complete the first items you can, ticking each (`[ ]` -> `[x]`) only when it is',
      '   done and verified.',
      `4. Append what you did and what should happen next to \`${dir}/progress.md\`.`,
    );
  } else {
    lines.push(
      '## You are an executor session',
      '',
      `1. Read \`${dir}/task_list.md\` and \`${dir}/progress.md\`.`,
      '2. Verify that the work earlier sessions ticked really is done; untick nothing, fix what is broken.',
      `3. Complete the next unchecked item${input.nextItem ? `: **${input.nextItem}**` : ''}.`,
      '4. Tick it (`[ ]` -> `[x]`) only when it is done and verified.',
      `5. Append what you did and what should happen next to \`${dir}/progress.md\`.`,
    );
  }
  if (input.rejection) lines.push('', '## Your last completion claim was refused', '', input.rejection);
  lines.push(
    '',
    '## Completion',
    '',
    `When, and only when, the whole task is genuinely complete, print ${promise} on a line of its own.`,
    'Never print it to end the session early: a false promise is caught and recorded.',
    ...(input.verify ? [`Completion is accepted only if \`${input.verify}\` passes.`] : []),
    '',
  );
  return lines.join('\n');
}
