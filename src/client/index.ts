#!/usr/bin/env node
import { type Command, printHelp, wantsHelp } from './cli';
import { add } from './commands/add';
import { cancel, controlCommands } from './commands/control';
import { deliver } from './commands/deliver';
import { demo } from './commands/demo';
import { doctor } from './commands/doctor';
import { logs } from './commands/logs';
import { loop } from './commands/loop';
import { schedule } from './commands/schedule';
import { queue } from './commands/queue';
import { queueVerbCommands } from './commands/queueVerbs';
import { report } from './commands/report';
import { server } from './commands/server';
import { start } from './commands/start';
import { status } from './commands/status';
import { worker } from './commands/worker';
import { reportError } from './errors';

const commands: Command[] = [demo, server, worker, doctor, start, status, logs, ...controlCommands, cancel, loop, schedule, add, queue, ...queueVerbCommands, report, deliver];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'nightshift: run autonomous coding-agent builds as durable Temporal workflows.',
    '',
    'Usage: nightshift <command> [options]     (nightshift <command> --help for details)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (or TEMPORAL_PROFILE), NIGHTSHIFT_HOME, NIGHTSHIFT_UI_URL,',
    'NIGHTSHIFT_TASK_QUEUE (default nightshift), NIGHTSHIFT_WEBHOOK_URL (notifications, read by the worker),',
    'NIGHTSHIFT_AGENT_ENV_FILE (KEY=VALUE lines added to every agent\'s environment by the worker: secrets).',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`error: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  if (wantsHelp(rest)) {
    printHelp(command);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => process.exit(reportError(err)),
);
