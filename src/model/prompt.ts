/** The prompt of one agent session: pure, so workflows can build it and tests can read it. */
import type { Checkpoint, TaskGroup } from './plan';

export interface PromptInput {
  planTitle: string;
  checkpoint: Checkpoint;
  group: TaskGroup;
  devNotes: { category: string; content: string }[];
  feedback: string[];
  failingVerification?: string;
}

export function buildPrompt(input: PromptInput): string {
  const { checkpoint, group } = input;
  const lines: string[] = [
    `# ${input.planTitle}`,
    '',
    `## Checkpoint ${checkpoint.id}: ${checkpoint.title}`,
    '',
    `Goal: ${checkpoint.goal || checkpoint.title}`,
    '',
    `## Task group ${group.id}: ${group.title}`,
    '',
  ];
  for (const task of group.tasks) {
    lines.push(`- [${task.id}] ${task.description ?? task.action ?? ''}`);
    for (const file of task.context?.read_before ?? []) lines.push(`  - read before: ${file}`);
  }
  if (input.devNotes.length > 0) {
    lines.push('', '## DevNotes so far', '');
    for (const note of input.devNotes) lines.push(`- (${note.category}) ${note.content}`);
  }
  if (input.failingVerification) {
    lines.push('', '## Verification failed; fix this', '', '```', input.failingVerification.trimEnd(), '```');
  }
  if (input.feedback.length > 0) {
    lines.push('', '## Feedback from the person running this build', '');
    for (const f of input.feedback) lines.push(`- ${f}`);
  }
  lines.push(
    '',
    '## Rules',
    '',
    '- Work only in the current directory. Do not commit: Nightshift commits once per checkpoint.',
    '- Record deviations, discoveries and decisions by printing a line `DEVNOTE <category>: <content>`',
    '  (category: deviation, discovery, decision, blocker or resolution).',
    '- Exit with status 0 when the task group is done, non-zero if it cannot be done.',
  );
  return `${lines.join('\n')}\n`;
}
