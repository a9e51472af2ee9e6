#!/usr/bin/env node
/**
 * The scripted agent: a real, deterministic coding agent for tests, the demo and benchmarks.
 * By default it "implements" each task of its prompt by writing a file in the worktree; a scenario
 * file (see scenario.ts) makes it fail, stall, hang, spawn children or print DevNotes on cue.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkboxItems } from '../../model/taskList';
import { SCRIPTED_FAILURE, type Scenario, ScenarioSchema, type ScriptedAction } from './scenario';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const env = {
  checkpoint: process.env.NIGHTSHIFT_CHECKPOINT ?? '0',
  taskGroup: process.env.NIGHTSHIFT_TASK_GROUP ?? '0',
  session: Number(process.env.NIGHTSHIFT_SESSION ?? '0'),
};

function loadScenario(file: string | undefined): Scenario {
  if (!file) return { rules: [] };
  return ScenarioSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Counts how often each rule has fired, across invocations, so `times` works between sessions. */
function useRule(stateDir: string, index: number, times: number | undefined): boolean {
  if (times === undefined) return true;
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, `rule-${index}.count`);
  const used = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
  if (used >= times) return false;
  writeFileSync(file, String(used + 1));
  return true;
}

function pickActions(scenario: Scenario, scenarioFile: string | undefined): ScriptedAction[] {
  const stateDir = scenario.state ?? join(dirname(scenarioFile ?? '.'), '.scripted-state');
  for (const [i, rule] of scenario.rules.entries()) {
    const w = rule.when;
    if (w.checkpoint !== undefined && w.checkpoint !== env.checkpoint) continue;
    if (w.taskGroup !== undefined && w.taskGroup !== env.taskGroup) continue;
    if (w.session !== undefined && w.session !== env.session) continue;
    if (useRule(stateDir, i, rule.times)) return rule.do;
  }
  return scenario.otherwise ?? [{ edit: true }];
}

/** The default work: one file per task group, listing the tasks of the prompt. */
function edit(promptFile: string | undefined): void {
  const prompt = promptFile ? readFileSync(promptFile, 'utf8') : '';
  const tasks = prompt.split('\n').filter((l) => /^- \[[^\]]+\] /.test(l));
  const file = join('work', `checkpoint-${env.checkpoint}`, `group-${env.taskGroup}.md`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `# task group ${env.taskGroup}\n\n${tasks.map((t) => t.replace(/^- /, '- done ')).join('\n')}\n`);
  for (const t of tasks) process.stdout.write(`implemented ${t.slice(2)}\n`);
}

/** What an executor session of a structured loop does to its checklist: `[ ]` -> `[x]`, in order. */
function tickBoxes(path: string | undefined, count: number): void {
  if (!path) throw new Error('tickBox needs a path (or NIGHTSHIFT_TASK_LIST)');
  const lines = readFileSync(path, 'utf8').split('\n');
  const open = checkboxItems(lines.join('\n')).filter((i) => !i.done).slice(0, count);
  for (const item of open) {
    const i = item.line - 1;
    lines[i] = (lines[i] as string).replace(/\[ \]/, '[x]');
    process.stdout.write(`ticked: ${item.text}\n`);
  }
  writeFileSync(path, lines.join('\n'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(action: ScriptedAction, promptFile: string | undefined): Promise<void> {
  if ('print' in action) process.stdout.write(`${action.print}\n`);
  else if ('stderr' in action) process.stderr.write(`${action.stderr}\n`);
  else if ('write' in action) {
    mkdirSync(dirname(action.write.path), { recursive: true });
    writeFileSync(action.write.path, action.write.content);
  } else if ('append' in action) {
    mkdirSync(dirname(action.append.path), { recursive: true });
    appendFileSync(action.append.path, action.append.content);
  } else if ('sleep' in action) await sleep(action.sleep);
  else if ('tick' in action) {
    for (let i = 1; i <= action.tick.count; i++) {
      process.stdout.write(`${action.tick.text} ${i}/${action.tick.count}\n`);
      await sleep(action.tick.every);
    }
  } else if ('hang' in action) {
    process.on('SIGTERM', () => process.stdout.write('ignoring SIGTERM\n'));
    for (;;) await sleep(1000);
  } else if ('spawnChild' in action) {
    const child = spawn(process.execPath, ['-e', "process.on('SIGTERM',()=>{});setInterval(()=>{},1000)"], { stdio: 'ignore' });
    writeFileSync(action.spawnChild.pidFile, String(child.pid));
    child.unref();
  } else if ('pidFile' in action) writeFileSync(action.pidFile, String(process.pid));
  else if ('edit' in action) edit(promptFile);
  else if ('exit' in action) process.exit(action.exit);
  else if ('fail' in action) {
    process.stdout.write(`${SCRIPTED_FAILURE}${JSON.stringify(action.fail)}\n`);
    process.exit(1);
  }
  else if ('tickBox' in action) tickBoxes(action.tickBox.path ?? process.env.NIGHTSHIFT_TASK_LIST, action.tickBox.count);
}

async function main(): Promise<void> {
  const promptFile = arg('--prompt-file') ?? process.env.NIGHTSHIFT_PROMPT_FILE;
  const scenarioFile = arg('--scenario');
  process.stdout.write(`scripted agent: session ${env.session}, checkpoint ${env.checkpoint}, task group ${env.taskGroup}\n`);
  for (const action of pickActions(loadScenario(scenarioFile), scenarioFile)) await run(action, promptFile);
}

main().catch((err: unknown) => {
  process.stderr.write(`scripted agent failed: ${(err as Error).message}\n`);
  process.exit(70);
});
