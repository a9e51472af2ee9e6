import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { EnvironmentError } from '../model/errors';
import { recordedUiUrl } from './uiAddress';

export const TASK_QUEUE = 'nightshift';

/** The task queue builds run on: `NIGHTSHIFT_TASK_QUEUE`, default `nightshift`. */
export function taskQueue(): string {
  return process.env.NIGHTSHIFT_TASK_QUEUE || TASK_QUEUE;
}
export const DEFAULT_ADDRESS = 'localhost:7233';

export interface ConnectionConfig {
  address: string;
  namespace: string;
  /** The rest of what Temporal's env config gives (TLS, API key), passed through to the connection. */
  options: Record<string, unknown>;
}

/**
 * Where Temporal is: `TEMPORAL_ADDRESS` / `TEMPORAL_NAMESPACE`, or Temporal's environment config
 * profile (`TEMPORAL_PROFILE`, `temporal.toml`), else `localhost:7233` / `default`.
 */
export function connectionConfig(): ConnectionConfig {
  try {
    const cfg = loadClientConnectConfig();
    const { address, ...options } = cfg.connectionOptions;
    return { address: address ?? DEFAULT_ADDRESS, namespace: cfg.namespace ?? 'default', options };
  } catch (err) {
    throw new EnvironmentError(
      `cannot read Temporal's connection config: ${(err as Error).message}`,
      'Check TEMPORAL_ADDRESS, TEMPORAL_PROFILE and your temporal.toml.',
    );
  }
}

/** NIGHTSHIFT_HOME (default ~/.nightshift): transcripts, progress files, worktrees, notifications. */
export function nightshiftHome(): string {
  return resolve(process.env.NIGHTSHIFT_HOME ?? join(homedir(), '.nightshift'));
}

/**
 * The Web UI base URL: `NIGHTSHIFT_UI_URL`; else the UI that `nightshift server` recorded for the
 * server this process talks to (NIGHTSHIFT_HOME/servers.json); else http://localhost:8233.
 */
export function uiBaseUrl(): string {
  const explicit = process.env.NIGHTSHIFT_UI_URL;
  let recorded: string | undefined;
  if (!explicit) {
    try {
      recorded = recordedUiUrl(nightshiftHome(), connectionConfig().address);
    } catch {
      recorded = undefined;
    }
  }
  return (explicit || recorded || 'http://localhost:8233').replace(/\/+$/, '');
}

export function runUrl(namespace: string, workflowId: string, runId?: string): string {
  const base = `${uiBaseUrl()}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
