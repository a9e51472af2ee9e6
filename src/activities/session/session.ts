import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { adapterFor, invocationOptions } from '../../agents';
import { classifyExit } from '../../agents/classify';
import { lineRedactor, redactSecrets } from '../../agents/redact';
import type { SandboxMode } from '../../agents/sandbox';
import type { InvocationContext, OutputParser } from '../../agents/types';
import { progressSignal } from '../../workflows/build/messages';
import { type HomeLayout, pad } from '../paths';
import { clearInterruptedThread, interruptedThreadFile, readInterruptedThread, readThreadUsage, threadUsageFile, writeInterruptedThread, writeThreadUsage } from './agentThreads';
import { killGroup, killRecordedGroup, spawnGroup, writePidRecord } from './process';
import { parkedMessage, type QuotaRecord, quotaWatch } from './fleetQuota';
import { refusedSession, sessionSandbox } from './sandbox';
import type { SessionInput, SessionResult } from '../types';

/** What this worker adds to every agent's environment (NIGHTSHIFT_AGENT_ENV_FILE), and how to mask it in output. */
export interface WorkerAgentEnv {
  env?: Record<string, string>;
  mask?: (text: string) => string;
  /** The sandbox for requests that name none (`nightshift worker --sandbox`, NIGHTSHIFT_SANDBOX; default auto). */
  sandbox?: SandboxMode;
}

const TAIL_BYTES = 2000;
/** A transcript stops growing here (a runaway agent printing gigabytes must not fill the worker's disk). */
export const TRANSCRIPT_MAX_BYTES = 100 * 1024 * 1024;

/** Splits a byte stream into lines for the parser, however the chunks fall. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      // A runaway line without a newline must not grow without bound.
      if (rest.length > 1_000_000) {
        onLine(rest);
        rest = '';
      }
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/**
 * One agent session: spawns the agent in the worktree as its own process group, writes everything it
 * prints to the session's transcript (never into workflow history), heartbeats, signals throttled
 * `progress` to the build, and kills the whole group when cancelled. A non-zero exit is a result,
 * not an exception: the workflow decides what it means.
 */
export async function runAgentSession(layout: HomeLayout, input: SessionInput, worker: WorkerAgentEnv = {}): Promise<SessionResult> {
  const ctx = Context.current();
  // Patterns catch secret shapes; the worker's env file values are masked literally, whatever their shape.
  const redact = (text: string): string => (worker.mask ? worker.mask(redactSecrets(text)) : redactSecrets(text));
  const { label, session } = input;
  const dir = input.sessionsDir ?? layout.sessionsDir(label);
  mkdirSync(dir, { recursive: true });
  const promptFile = join(dir, `session-${pad(session)}.prompt.md`);
  const transcriptPath = join(dir, `session-${pad(session)}.log`);
  writeFileSync(promptFile, input.prompt);

  const pidFile = layout.pidFile(label, `checkpoint-${input.checkpointId}-group-${input.taskGroupId}`);
  const orphan = await killRecordedGroup(pidFile);

  const adapter = adapterFor(input.agent);
  // A step's next session resumes the agent session a cancelled one left (`pause --now`, the stall timer): codex names
  // its thread only in its output, and the workflow records claude's id only when a session returns.
  const interruptedFile = interruptedThreadFile(layout, label, `checkpoint-${input.checkpointId}-group-${input.taskGroupId}`);
  const interrupted = adapter.supportsResume && !input.resumeSessionId ? readInterruptedThread(interruptedFile) : undefined;
  const resumeSessionId = input.resumeSessionId ?? interrupted;
  // Codex counts a resumed thread's earlier sessions in its totals: this session's share needs the last total.
  const priorUsage = resumeSessionId ? readThreadUsage(threadUsageFile(layout, label, resumeSessionId)) : undefined;
  const invocation: InvocationContext = {
    prompt: input.prompt,
    promptFile,
    completionPromise: input.completionPromise ?? 'DONE',
    ...invocationOptions(input.agent),
    ...(input.maxBudgetUsd ? { maxBudgetUsd: input.maxBudgetUsd } : {}),
    ...(resumeSessionId ? { resumeSessionId } : input.agentSessionId ? { sessionId: input.agentSessionId } : {}),
    ...(priorUsage ? { priorUsage } : {}),
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(adapter.env?.(invocation) ?? {}),
    // The request's plain settings (`--env`), then Nightshift's own, then the worker's env file (secrets), which wins.
    ...(input.agent.env ?? {}),
    NIGHTSHIFT_BUILD_ID: input.workflowId,
    NIGHTSHIFT_LABEL: label,
    NIGHTSHIFT_CHECKPOINT: input.checkpointId,
    NIGHTSHIFT_TASK_GROUP: input.taskGroupId,
    NIGHTSHIFT_SESSION: String(session),
    NIGHTSHIFT_PROMPT_FILE: promptFile,
    ...(input.env ?? {}),
    ...(worker.env ?? {}),
  };
  const sandbox = await sessionSandbox(layout, input, env, promptFile, worker.sandbox);
  // Inside Nightshift's sandbox an agent's own (codex's bubblewrap) cannot start, and is not needed.
  if (sandbox.contained) invocation.contained = true;
  let argv: string[];
  try {
    argv = adapter.argv(invocation);
  } catch (e) {
    sandbox.release();
    // A request the adapter cannot run (aider without a model) will not improve on retry.
    throw ApplicationFailure.nonRetryable((e as Error).message, 'AgentMisconfigured');
  }
  const parser: OutputParser = adapter.parser(invocation);
  // Caches the CLI leaves in the worktree go after the session, unless they were there before it.
  const scratch = (adapter.scratchPaths ?? []).map((p) => join(input.worktree, p)).filter((p) => !existsSync(p));
  const transcript = createWriteStream(transcriptPath, { flags: 'a' });
  transcript.write(
    `# nightshift session ${session}: build ${label}, checkpoint ${input.checkpointId}, task group ${input.taskGroupId}\n` +
      `# started ${new Date().toISOString()} (activity attempt ${ctx.info.attempt})\n` +
      (orphan ? `# killed process group ${orphan.pgid} left by session ${orphan.session} of a lost worker\n` : '') +
      `# argv: ${redact(JSON.stringify(argv))}\n` +
      sandbox.header,
  );
  if (sandbox.refusal) {
    transcript.end();
    return refusedSession(input, transcriptPath, sandbox.refusal);
  }
  const sandboxNotes = sandbox.warning ? [{ category: 'deviation' as const, content: `sandbox: ${sandbox.warning}` }] : [];

  let stderrTail = '';
  let bytes = 0;
  // The first signal waits one interval too: a session that ends sooner sends none (its result carries
  // the last line), so a quiet agent costs its build no signal, workflow task or stall-timer restart.
  let lastSignalAt = Date.now();
  let pendingLine: string | undefined;
  const handle = ctx.client.workflow.getHandle(input.workflowId);
  const sendProgress = () => {
    if (pendingLine === undefined) return;
    const line = pendingLine.slice(0, 500);
    pendingLine = undefined;
    lastSignalAt = Date.now();
    handle.signal(progressSignal, { session, line }).catch((err: unknown) => {
      ctx.log.warn('progress signal failed', { error: (err as Error).message });
    });
  };
  // The transcript is written line by line so a secret split across two chunks is still redacted; a
  // private key spans lines, so each stream has its own redactor. The parser sees redacted lines too:
  // what it keeps (last line, DevNotes, failure message) goes into workflow history.
  const redactors = { stdout: lineRedactor(), stderr: lineRedactor() };
  let written = 0;
  const onLine = (stream: 'stdout' | 'stderr') => (raw: string) => {
    const line = worker.mask ? worker.mask(redactors[stream](raw)) : redactors[stream](raw);
    if (written < TRANSCRIPT_MAX_BYTES) {
      written += line.length + 1;
      transcript.write(written < TRANSCRIPT_MAX_BYTES ? `${line}\n` : `# transcript cut at ${TRANSCRIPT_MAX_BYTES} bytes: the agent printed more\n`);
    }
    if (stream === 'stderr') stderrTail = `${stderrTail}${line}\n`.slice(-TAIL_BYTES);
    parser.line(line, stream);
    if (line.trim()) pendingLine = latest = line.trim();
    if (Date.now() - lastSignalAt >= input.progressEveryMs) sendProgress();
  };
  const out = lineSplitter(onLine('stdout'));
  const err = lineSplitter(onLine('stderr'));

  const started = Date.now();
  let proc;
  try {
    proc = await spawnGroup(sandbox.wrap(argv), {
      cwd: input.worktree,
      env: sandbox.env,
      onStdout: (chunk) => {
        bytes += chunk.length;
        out.push(chunk);
      },
      onStderr: (chunk) => {
        bytes += chunk.length;
        err.push(chunk);
      },
    });
  } catch (e) {
    sandbox.release();
    transcript.end(`# could not start ${argv[0]}: ${(e as Error).message}\n`);
    throw ApplicationFailure.nonRetryable(`could not start the agent ${argv[0]}: ${(e as Error).message}`, 'AgentNotStarted');
  }
  writePidRecord(pidFile, { pgid: proc.pid, program: argv[0] as string, session, startedAt: new Date(started).toISOString() });

  // Heartbeat details show in the Web UI's pending activity: the latest line costs no history.
  let latest: string | undefined;
  let overBudget = false;
  let authStopped = false;
  // Another build of this agent on this host hit its usage limit: stop and park until the reset (fleetQuota.ts).
  const fleetLimit = quotaWatch(layout.home, input, started);
  const parked: { by: QuotaRecord | null } = { by: null };
  const beat = setInterval(() => {
    ctx.heartbeat({ session, bytes, lastLine: latest?.slice(0, 300) });
    const seen = parser.result();
    const spent = seen.costUsd;
    if (input.maxBudgetUsd !== undefined && spent !== null && spent > input.maxBudgetUsd && !overBudget) {
      overBudget = true;
      transcript.write(`# session budget of $${input.maxBudgetUsd} exceeded ($${spent.toFixed(4)}): stopping the agent\n`);
      void killGroup(proc.pid);
    }
    // An agent retrying a refused login by itself (claude: ten times over minutes) only delays the person.
    if (seen.failureClass === 'auth' && !authStopped) {
      authStopped = true;
      transcript.write(`# the agent cannot log in: stopping it (${seen.failureMessage ?? 'auth'})\n`);
      void killGroup(proc.pid);
    }
    if (!parked.by && (parked.by = fleetLimit())) {
      transcript.write(`# ${parkedMessage(parked.by, true)}\n`);
      void killGroup(proc.pid);
    }
    if (pendingLine !== undefined && Date.now() - lastSignalAt >= input.progressEveryMs) sendProgress();
  }, 1000);
  ctx.heartbeat({ session, bytes });
  try {
    const exit = await Promise.race([proc.exited, ctx.cancelled]);
    // The leader is gone; whatever it left running in its group goes with it.
    await killGroup(proc.pid, 1000);
    await Promise.race([proc.closed, new Promise((r) => setTimeout(r, 2000))]);
    out.end();
    err.end();
    const parsed = parser.result();
    const threadId = parsed.sessionId ?? resumeSessionId;
    if (parsed.threadUsage && threadId) writeThreadUsage(threadUsageFile(layout, label, threadId), parsed.threadUsage);
    clearInterruptedThread(interruptedFile);
    transcript.end(`\n# exited ${exit.signal ? `by ${exit.signal}` : `with ${exit.code}`} after ${Date.now() - started}ms\n`);
    const overSpent = input.maxBudgetUsd !== undefined && (parsed.costUsd ?? 0) > input.maxBudgetUsd;
    const failureClass = overBudget || overSpent ? 'budget-exceeded' : parked.by ? 'rate-limited' : classifyExit(parsed, exit.code, exit.signal);
    return {
      session,
      ok: failureClass === null,
      exitCode: exit.code,
      signal: exit.signal,
      durationMs: Date.now() - started,
      lastLine: parsed.lastLine,
      stderrTail: redact(stderrTail.trim()),
      devNotes: [...sandboxNotes, ...parsed.devNotes],
      promiseSeen: parsed.promiseSeen,
      transcript: transcriptPath,
      costUsd: parsed.costUsd,
      usage: parsed.usage,
      turns: parsed.turns,
      agentSessionId: parsed.sessionId ?? resumeSessionId ?? input.agentSessionId ?? null,
      model: parsed.model,
      failureClass,
      failureMessage: parked.by ? parkedMessage(parked.by, true) : (parsed.failureMessage ?? (overBudget || overSpent ? `spent more than the session budget of $${input.maxBudgetUsd}` : null)),
      resetAt: parked.by?.resetAt ?? parsed.resetAt,
      ...(parsed.sessionGone ? { sessionGone: true } : {}),
    };
  } catch (e) {
    await killGroup(proc.pid);
    const thread = parser.result().sessionId;
    // Only a session the workflow does not know of: it keeps the ids it was told, but not one it gave to a session that never returned.
    if (thread && !input.resumeSessionId) writeInterruptedThread(interruptedFile, thread);
    const shutdown = ctx.cancellationDetails?.workerShutdown ?? false;
    transcript.end(`\n# cancelled${shutdown ? ' (worker shutting down)' : ''}: process group ${proc.pid} killed\n`);
    if (shutdown) throw ApplicationFailure.retryable('the worker shut down during the session', 'WorkerShutdown');
    if (e instanceof CancelledFailure) throw e;
    throw e;
  } finally {
    clearInterval(beat);
    sandbox.release();
    rmSync(pidFile, { force: true });
    for (const path of scratch) rmSync(path, { recursive: true, force: true });
  }
}
