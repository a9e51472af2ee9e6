import { NativeConnection } from '@temporalio/worker';
import { Connection } from '@temporalio/client';
import { connectionConfig, nightshiftHome, taskQueue } from '../config/connection';
import { ensureSearchAttributes } from '../server/searchAttributes';
import { agentEnvFilePath, loadAgentEnvFile } from './agentEnvFile';
import { createNightshiftWorker } from './createWorker';
import { createHostWorker, workerHost } from './host';
import { runTogether } from './runTogether';
import { hostQueue } from '../model/hosts';
import type { SandboxMode } from '../agents/sandbox';
import { bwrapAvailable } from '../activities/session/sandboxSetup';
import { workerSandboxDefault } from '../activities/session/sandbox';

/** `nightshift worker`: connect, make sure the search attributes exist, run until SIGINT/SIGTERM. */
export async function runWorker(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  options: { envFile?: string; sandbox?: SandboxMode; host?: string } = {},
): Promise<void> {
  const cfg = connectionConfig();
  // Read before connecting: a bad env file stops the worker before it takes any session.
  const envFile = agentEnvFilePath(options.envFile);
  const agentEnv = envFile ? loadAgentEnvFile(envFile) : undefined;
  const client = await Connection.connect({ address: cfg.address, ...cfg.options });
  await ensureSearchAttributes(client, cfg.namespace);
  await client.close();
  const connection = await NativeConnection.connect({ address: cfg.address, ...cfg.options });
  const home = nightshiftHome();
  const queue = taskQueue();
  const host = workerHost(options.host);
  // A prebuilt workflow bundle (NIGHTSHIFT_WORKFLOW_BUNDLE) skips bundling at start: faster restarts.
  const bundle = process.env.NIGHTSHIFT_WORKFLOW_BUNDLE;
  const worker = await createNightshiftWorker({
    connection,
    namespace: cfg.namespace,
    home,
    taskQueue: queue,
    ...(agentEnv ? { agentEnv } : {}),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
    host,
  });
  const hostWorker = await createHostWorker({
    connection,
    namespace: cfg.namespace,
    taskQueue: queue,
    host,
    deps: { home, ...(agentEnv ? { agentEnv } : {}), ...(options.sandbox ? { sandbox: options.sandbox } : {}) },
  });
  log(`nightshift worker: ${cfg.address} namespace ${cfg.namespace}, task queue ${queue} and ${hostQueue(queue, host)} (host ${host}), home ${home}`);
  if (envFile) log(`agent env file ${envFile}: ${Object.keys(agentEnv ?? {}).sort().join(', ') || 'no variables'} (values stay on this worker)`);
  const sandbox = workerSandboxDefault(options.sandbox);
  const bwrap = sandbox === 'none' ? undefined : await bwrapAvailable();
  if (sandbox === 'none') log('agent sandbox: none (--sandbox none): agents run with everything this user can touch');
  else if (bwrap && 'problem' in bwrap) log(`agent sandbox: ${sandbox} by default, but ${bwrap.problem}${sandbox === 'auto' ? ': agents run unsandboxed' : ': builds that need it wait for you'}`);
  else log(`agent sandbox: ${sandbox} by default (bwrap ${bwrap && 'path' in bwrap ? bwrap.path : ''})`);
  log('Ctrl-C stops it; running agent sessions are cancelled and their processes killed.');
  try {
    await runTogether(worker, hostWorker);
  } finally {
    await connection.close();
  }
  log('nightshift worker stopped');
}
