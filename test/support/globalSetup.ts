import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { AGENT_CLI_NAMES, agentCliVersion, ensureAgentCli } from '../../src/agents/install';
import { startDevServer } from '../../src/server/devServer';
import { freePort } from '../../src/server/ports';

/**
 * Once per test run: compile the project (the scripted agent runs as a real child process from
 * dist/), start a real Temporal dev server on a free port with its own database file (or use
 * TEMPORAL_ADDRESS), and bundle the workflows once for every test file. Meanwhile the pinned real
 * agent CLIs install into the cache (once; later runs reuse them), and their paths go to the tests
 * as NIGHTSHIFT_TEST_<NAME>_BIN.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const agentClis = installAgentClis();
  // Type errors are `npm run typecheck`'s business; tsc still emits, and the tests need dist/.
  spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'ignore' });
  if (!existsSync(join(root, 'dist', 'src', 'agents', 'scripted', 'main.js'))) throw new Error('building dist/ failed: run `npm run build`');
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-test-'));
  process.env.NIGHTSHIFT_TEST_DIR = dir;
  // Agents run in the bwrap sandbox when it is installed (.ci/run installs it; docs/security.md). The
  // test dir stays writable to them: fake CLIs keep counters there and wrappers set HOME there.
  process.env.NIGHTSHIFT_SANDBOX ??= 'auto';
  process.env.NIGHTSHIFT_SANDBOX_WRITABLE ??= dir;

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => process.stderr.write(`${m}\n`), log() {} } as never,
  });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.NIGHTSHIFT_TEST_BUNDLE = bundlePath;
  await agentClis;

  if (process.env.TEMPORAL_ADDRESS) return;
  const port = await freePort();
  const server = await startDevServer({
    port,
    uiPort: await freePort(),
    ip: '127.0.0.1',
    dbFile: join(dir, 'temporal.db'),
    headless: true,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.NIGHTSHIFT_TEST_SERVER_DB = join(dir, 'temporal.db');
  (globalThis as Record<string, unknown>).__nightshiftServer = server;
}

/** All four in parallel; each says when it installs and how long it took, and is silent when cached. */
async function installAgentClis(): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  await Promise.all(
    AGENT_CLI_NAMES.map(async (name) => {
      const path = await ensureAgentCli(name, { log });
      process.env[`NIGHTSHIFT_TEST_${name.toUpperCase()}_BIN`] = path;
      process.env[`NIGHTSHIFT_TEST_${name.toUpperCase()}_VERSION`] = agentCliVersion(name);
    }),
  );
}
