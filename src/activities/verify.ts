import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import { redactSecrets } from '../agents/redact';
import type { HomeLayout } from './paths';
import { killGroup, killRecordedGroup, writePidRecord } from './session/process';
import type { VerifyInput, VerifyResult, VerifyStepResult } from './types';

const TAIL = 3000;

function runStep(cwd: string, command: string, timeoutMs: number, pidFile: string): Promise<{ code: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // A worker killed outright cannot stop its step: the next attempt finds the group here and kills it.
    if (child.pid) writePidRecord(pidFile, { pgid: child.pid, program: 'sh', session: 0, startedAt: new Date().toISOString() });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > 1_000_000) output = output.slice(-500_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void killGroup(child.pid as number, 2000);
    }, timeoutMs);
    const beat = setInterval(() => Context.current().heartbeat(command), 1000);
    const onCancel = () => void killGroup(child.pid as number, 2000);
    Context.current().cancellationSignal.addEventListener('abort', onCancel);
    child.on('error', (err) => {
      output += `\n${err.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(beat);
      Context.current().cancellationSignal.removeEventListener('abort', onCancel);
      resolve({ code, timedOut, output });
    });
  });
}

/** Runs a checkpoint's verification steps (`sh -c` each, in the worktree, with a timeout). */
export async function runVerification(layout: HomeLayout, input: VerifyInput): Promise<VerifyResult> {
  const results: VerifyStepResult[] = [];
  const log: string[] = [];
  const pidFile = layout.pidFile(input.label, `checkpoint-${input.checkpointId}-verify`);
  await killRecordedGroup(pidFile);
  for (const step of input.steps) {
    Context.current().heartbeat(step.name);
    const r = await runStep(input.worktree, step.run, input.timeoutMs, pidFile);
    rmSync(pidFile, { force: true });
    const passed = r.code === 0 && !r.timedOut;
    // Verification output goes into history and the next prompt: secrets are redacted first.
    const output = redactSecrets(r.output);
    results.push({ name: step.name, passed, exitCode: r.code, timedOut: r.timedOut, outputTail: output.slice(-TAIL) });
    log.push(`$ ${step.run}\n${output}\n# ${passed ? 'passed' : r.timedOut ? 'timed out' : `failed (exit ${r.code})`}\n`);
    if (!passed) break;
  }
  const file = layout.verifyLog(input.label, input.checkpointId, input.attempt);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, log.join('\n'));
  return { passed: results.every((r) => r.passed), steps: results, log: file };
}
