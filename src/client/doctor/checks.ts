import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { AGENT_CLI_PINS, type AgentCliName } from '../../agents/cliVersions';
import { findAgentCli } from '../../agents/install';
import { connectionConfig, taskQueue } from '../../config/connection';
import type { NightshiftError } from '../../model/errors';
import { AGENT_ENV_FILE_VAR, loadAgentEnvFile } from '../../worker/agentEnvFile';
import { connect } from '../connect';
import { pollersOf } from '../workers';
import { detectCredentials } from './credentials';
import type { CheckResult } from './report';
import { describeRange, formatVersion, GIT_RANGE, inRange, NODE_RANGE, parseVersion, testedRange, type VersionRange } from './versions';

/** What to check: one agent (`--agent`) or all four, with optional overrides for that agent. */
export interface DoctorOptions {
  agents: readonly AgentCliName[];
  /** `--agent-bin`: the executable to check instead of the one found. */
  bin?: string;
  /** `--model`: aider's model, as builds will pass it. */
  model?: string;
  /** The worker's agent env file: its variables count as credentials. */
  envFile?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

interface Run {
  code: number | null;
  output: string;
  error?: string;
}

function run(program: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Run {
  const r = spawnSync(program, args, { env, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return { code: null, output: '', error: (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `no answer in ${timeoutMs / 1000}s` : r.error.message };
  return { code: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function versionCheck(check: string, text: string | undefined, range: VersionRange, fix: string): CheckResult {
  const v = text === undefined ? undefined : parseVersion(text);
  if (!v) return { check, ok: false, detail: `cannot tell the version from ${JSON.stringify((text ?? '').trim().slice(0, 80))}`, fix };
  const ok = inRange(v, range);
  return { check, ok, detail: `${formatVersion(v)} (needs ${describeRange(range)})`, fix: ok ? null : fix };
}

export function nodeCheck(): CheckResult {
  return versionCheck('node', process.versions.node, NODE_RANGE, 'install Node.js 20.3 or newer (https://nodejs.org, or your package manager)');
}

export function gitCheck(env: NodeJS.ProcessEnv): CheckResult {
  const r = run('git', ['--version'], env);
  if (r.code !== 0) return { check: 'git', ok: false, detail: `git cannot be run: ${r.error ?? r.output.trim()}`, fix: 'apt-get install git   (or your package manager)' };
  return versionCheck('git', r.output, GIT_RANGE, 'install git 2.24 or newer');
}

/** The server (address, namespace) and the workers polling the task queue: from the same config as every command. */
export async function serverChecks(): Promise<CheckResult[]> {
  let cfg;
  try {
    cfg = connectionConfig();
  } catch (err) {
    return [{ check: 'temporal', ok: false, detail: (err as Error).message, fix: (err as NightshiftError).suggestion ?? 'check TEMPORAL_ADDRESS' }];
  }
  const queue = taskQueue();
  let c;
  try {
    c = await connect();
  } catch (err) {
    return [
      { check: 'temporal', ok: false, detail: `${cfg.address} namespace ${cfg.namespace}: not reachable (${(err as Error).message.replace(/^cannot reach Temporal at \S+: /, '')})`, fix: 'nightshift server   (or set TEMPORAL_ADDRESS to your server)' },
      { check: 'workers', ok: false, detail: `task queue "${queue}": not checked, no server`, fix: 'nightshift worker' },
    ];
  }
  try {
    const results: CheckResult[] = [];
    try {
      await c.client.workflowService.describeNamespace({ namespace: c.namespace });
      results.push({ check: 'temporal', ok: true, detail: `${c.address} namespace ${c.namespace}`, fix: null });
    } catch (err) {
      results.push({
        check: 'temporal',
        ok: false,
        detail: `${c.address} is up but namespace ${c.namespace} is not usable: ${(err as Error).message.split('\n')[0]}`,
        fix: `temporal operator namespace create --namespace ${c.namespace}   (or set TEMPORAL_NAMESPACE)`,
      });
      return results;
    }
    const pollers = await pollersOf(c.client, c.namespace, queue);
    results.push(
      pollers.length > 0
        ? { check: 'workers', ok: true, detail: `task queue "${queue}": ${pollers.map((p) => `${p.identity} (${p.kinds.join('+')})`).join(', ')}`, fix: null }
        : { check: 'workers', ok: false, detail: `no worker polls task queue "${queue}": builds would wait`, fix: 'nightshift worker' },
    );
    return results;
  } finally {
    await c.close();
  }
}

function onPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

const INSTALL_FIX: Record<AgentCliName, string> = {
  claude: 'npm install -g @anthropic-ai/claude-code',
  codex: 'npm install -g @openai/codex',
  gemini: 'npm install -g @google/gemini-cli',
  aider: 'python3 -m pip install aider-chat',
};

/** Installed (override, PATH, or Nightshift's cache), version in the tested range, credentials present. */
export function agentChecks(name: AgentCliName, o: DoctorOptions, env: NodeJS.ProcessEnv, home: string): CheckResult[] {
  const pin = AGENT_CLI_PINS[name];
  const results: CheckResult[] = [];
  let bin: string | undefined;
  let where: string;
  if (o.bin) {
    bin = isAbsolute(o.bin) ? o.bin : onPath(o.bin, env) ?? o.bin;
    where = `--agent-bin ${bin}`;
    if (!existsSync(bin)) bin = undefined;
  } else {
    bin = onPath(pin.bin, env);
    where = `on PATH (${bin})`;
    if (!bin) {
      bin = findAgentCli(name, env);
      where = `in Nightshift's cache (${bin}); the worker runs it when none is on PATH`;
    }
  }
  if (!bin) {
    results.push({
      check: `${name}`,
      ok: false,
      detail: o.bin ? `${o.bin} does not exist` : `${pin.bin} is not on PATH`,
      fix: o.bin ? 'check the --agent-bin path' : `${INSTALL_FIX[name]}@${pin.version}`,
    });
  } else {
    results.push({ check: `${name}`, ok: true, detail: `installed ${where}`, fix: null });
    // aider imports its whole Python stack to print a version: seconds on an idle machine, more on a busy one.
    const r = run(bin, ['--version'], env, 60_000);
    const range = testedRange(pin.version);
    const fix = `${INSTALL_FIX[name]}${pin.registry === 'npm' ? '@' : '=='}${pin.version}   (tested; or test yours: ${pin.versionEnv}=<version> npm test)`;
    if (r.code !== 0) results.push({ check: `${name} version`, ok: false, detail: `${bin} --version failed: ${r.error ?? (r.output.trim().split('\n').pop() || `exit ${r.code}`)}`, fix });
    else {
      const v = versionCheck(`${name} version`, r.output, range, fix);
      results.push({ ...v, detail: v.detail.replace('(needs', `(tested ${pin.version}; range`) });
    }
  }
  const codexLoginStatus = name === 'codex' && bin ? run(bin, ['login', 'status'], env, 30_000) : undefined;
  const found = detectCredentials(name, {
    env,
    home,
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    ...(codexLoginStatus && codexLoginStatus.code !== null ? { codexLoginStatus: { code: codexLoginStatus.code, output: codexLoginStatus.output } } : {}),
    ...(o.model ? { model: o.model } : {}),
  });
  results.push({ check: `${name} credentials`, ...found });
  return results;
}

/** Every check, in the order a person fixes them: tools, server, workers, then each agent. */
export async function runDoctor(o: DoctorOptions): Promise<CheckResult[]> {
  const base = o.env ?? process.env;
  const home = o.home ?? base.HOME ?? homedir();
  const results: CheckResult[] = [nodeCheck(), gitCheck(base)];
  results.push(...(await serverChecks()));
  // Agents get the worker's environment plus its env file: credentials there count.
  let env: NodeJS.ProcessEnv = base;
  const envFile = o.envFile ?? base[AGENT_ENV_FILE_VAR]?.trim();
  if (envFile) {
    try {
      const vars = loadAgentEnvFile(envFile);
      env = { ...base, ...vars };
      results.push({ check: 'agent env file', ok: true, detail: `${envFile}: ${Object.keys(vars).sort().join(', ') || 'no variables'}`, fix: null });
    } catch (err) {
      results.push({ check: 'agent env file', ok: false, detail: (err as Error).message.replace(/\n\s*/g, ' '), fix: `fix ${envFile} (KEY=VALUE lines)` });
    }
  }
  for (const name of o.agents) results.push(...agentChecks(name, o, env, home));
  return results;
}
