import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../model/errors';
import { cacheDir } from '../server/temporalCli';
import { AGENT_CLI_PINS, agentCliVersion, packageSpec, type AgentCliName } from './cliVersions';

export { AGENT_CLI_NAMES, AGENT_CLI_PINS, agentCliVersion, type AgentCliName } from './cliVersions';

export interface InstallOptions {
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** `<cache>/agents/<name>/<version>`: one directory per installed version, complete or absent. */
export function agentCliDir(name: AgentCliName, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'agents', name, agentCliVersion(name, env));
}

/** The executable inside an install directory (npm's `.bin` link, or the wrapper around aider's venv). */
export function agentCliExecutable(name: AgentCliName, dir: string): string {
  const pin = AGENT_CLI_PINS[name];
  return pin.registry === 'npm' ? join(dir, 'node_modules', '.bin', pin.bin) : join(dir, pin.bin);
}

/** The cached CLI if it is installed, without installing anything. */
export function findAgentCli(name: AgentCliName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = agentCliExecutable(name, agentCliDir(name, env));
  return existsSync(path) ? path : undefined;
}

/**
 * Returns the pinned CLI (or the version its `NIGHTSHIFT_<NAME>_VERSION` names) from the cache,
 * installing it there once: npm packages with `npm install --prefix`, aider into a Python venv.
 * Two processes may race: each installs into its own temp directory next to the target and renames
 * it into place; whoever comes second finds the target there and discards its copy.
 */
export async function ensureAgentCli(name: AgentCliName, opts: InstallOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const found = findAgentCli(name, env);
  if (found) return found;

  const version = agentCliVersion(name, env);
  const target = agentCliDir(name, env);
  const parent = join(target, '..');
  mkdirSync(parent, { recursive: true });
  const temp = mkdtempSync(join(parent, `.${version}.installing-`));
  log(`Installing ${name} ${version} once into ${target} (later runs reuse it)`);
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  const ticker = setInterval(() => log(`  still installing ${name} ${version}... ${seconds()}s`), 30_000);
  try {
    if (AGENT_CLI_PINS[name].registry === 'npm') await installNpm(name, version, temp, env);
    else await installVenv(name, version, temp, env);
    if (!existsSync(agentCliExecutable(name, temp))) {
      throw new EnvironmentError(
        `installing ${packageSpec(name, version)} produced no ${AGENT_CLI_PINS[name].bin} executable`,
        `Check that ${AGENT_CLI_PINS[name].package} ${version} still provides it, or unset ${AGENT_CLI_PINS[name].versionEnv}.`,
      );
    }
    try {
      renameSync(temp, target);
    } catch (error) {
      // Another process finished first: its copy is as good as ours.
      if (!findAgentCli(name, env)) throw error;
    }
  } finally {
    clearInterval(ticker);
    rmSync(temp, { recursive: true, force: true });
  }
  log(`Installed ${name} ${version} in ${seconds()}s`);
  const path = findAgentCli(name, env);
  if (!path) throw new EnvironmentError(`${name} ${version} is not in ${target} after installing it`, `Remove ${target} and retry.`);
  return path;
}

async function installNpm(name: AgentCliName, version: string, dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  // The packages ship their platform binaries as optional dependencies, so optional ones stay on.
  const spec = packageSpec(name, version);
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel', 'error', '--prefix', dir, spec], env, {
    what: `npm install ${spec}`,
    fix: `Check the network to the npm registry and that ${spec} exists (npm view ${spec} version).`,
  });
}

/**
 * aider goes into a venv. Console scripts in a venv carry its absolute path in their shebang, which
 * the rename would break, so the executable is a wrapper that hands the venv's `aider` script to the
 * venv's python (the shebang is then never read); the venv finds its packages relative to its python.
 */
async function installVenv(name: AgentCliName, version: string, dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const spec = packageSpec(name, version);
  const python = env.NIGHTSHIFT_PYTHON || 'python3';
  await run(python, ['-m', 'venv', join(dir, 'venv')], env, {
    what: `${python} -m venv`,
    fix: 'Install Python 3.10-3.12 with the venv module (Debian: apt-get install python3-venv), or set NIGHTSHIFT_PYTHON.',
  });
  await run(
    join(dir, 'venv', 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', spec],
    env,
    { what: `pip install ${spec}`, fix: `Check the network to PyPI and that ${spec} exists (pip index versions aider-chat).` },
  );
  const wrapper = agentCliExecutable(name, dir);
  writeFileSync(
    wrapper,
    ['#!/bin/sh', '# Runs aider from the venv next to this script (installed by Nightshift).', 'here=$(dirname "$(readlink -f "$0")")', 'exec "$here/venv/bin/python" "$here/venv/bin/aider" "$@"', ''].join('\n'),
  );
  chmodSync(wrapper, 0o755);
}

/** Runs an installer quietly; on failure, the end of its output goes into the error. */
function run(
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  about: { what: string; fix: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) =>
      reject(new EnvironmentError(`${about.what} could not start: ${error.message}`, about.fix)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new EnvironmentError(`${about.what} failed (exit ${code}):\n${output.trim()}`, about.fix));
    });
  });
}
