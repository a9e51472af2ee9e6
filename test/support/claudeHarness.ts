import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { AnthropicEndpoint } from './endpoints/anthropic';
import { tempDir } from './repo';

/**
 * The real Claude Code CLI, as the integration setup installed it (NIGHTSHIFT_TEST_CLAUDE_BIN), pointed
 * at a scripted endpoint. The agent's `bin` is a small wrapper script per test that sets claude's
 * environment and execs the real CLI: a temp HOME and CLAUDE_CONFIG_DIR (nothing of the machine's
 * claude login, settings or sessions leaks in), the endpoint's URL and a key (or none), and no
 * side traffic. In production the same variables come from the worker's environment.
 */
export function claudeWrapper(
  endpoint: AnthropicEndpoint,
  opts: { apiKey?: string | null; sandbox?: boolean; /** A new HOME every run, as if each ran on another machine. */ homePerRun?: boolean } = {},
): string {
  const claude = process.env.NIGHTSHIFT_TEST_CLAUDE_BIN;
  if (!claude) throw new Error('NIGHTSHIFT_TEST_CLAUDE_BIN is not set: the integration global setup installs claude');
  const dir = tempDir('claude');
  const home = join(dir, 'home');
  mkdirSync(join(home, '.claude'), { recursive: true });
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const apiKey = opts.apiKey === undefined ? 'sk-ant-api03-scripted-endpoint-key' : opts.apiKey;
  const lines = [
    '#!/bin/sh',
    ...(opts.homePerRun
      ? [`export HOME="$(mktemp -d ${quote(join(dir, 'home-XXXXXX'))})"`, 'export CLAUDE_CONFIG_DIR="$HOME/.claude"']
      : [`export HOME=${quote(home)}`, `export CLAUDE_CONFIG_DIR=${quote(join(home, '.claude'))}`]),
    `export ANTHROPIC_BASE_URL=${quote(endpoint.url)}`,
    'export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
    'unset ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_MODEL IS_SANDBOX',
    apiKey === null ? 'unset ANTHROPIC_API_KEY' : `export ANTHROPIC_API_KEY=${quote(apiKey)}`,
    // As root, bypassPermissions needs this (docs/agents.md); acceptEdits with allowed tools does not.
    ...(opts.sandbox ? ['export IS_SANDBOX=1'] : []),
    `exec ${quote(claude)} "$@"`,
    '',
  ];
  const path = join(dir, 'claude');
  writeFileSync(path, lines.join('\n'));
  chmodSync(path, 0o755);
  return path;
}

export interface SessionRecord {
  costUsd: number | null;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number } | null;
  agentSessionId: string | null;
  failureClass: string | null;
}

/** What each agent session returned to the workflow, read back from its history (where tokens are recorded). */
export async function sessionResults(handle: WorkflowHandle): Promise<SessionRecord[]> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const results: SessionRecord[] = [];
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name) scheduled.set(String(event.eventId), s.activityType.name);
    const c = event.activityTaskCompletedEventAttributes;
    if (!c) continue;
    if (scheduled.get(String(c.scheduledEventId)) !== 'runAgentSession') continue;
    const data = c.result?.payloads?.[0]?.data;
    if (data) results.push(JSON.parse(Buffer.from(data).toString('utf8')) as SessionRecord);
  }
  return results;
}
