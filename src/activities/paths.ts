import { join } from 'node:path';

/** Where a worker keeps what people read and what the build needs on disk. */
export class HomeLayout {
  constructor(readonly home: string) {}
  buildDir(label: string): string {
    return join(this.home, 'builds', label);
  }
  sessionsDir(label: string): string {
    return join(this.buildDir(label), 'sessions');
  }
  sessionLog(label: string, session: number): string {
    return join(this.sessionsDir(label), `session-${pad(session)}.log`);
  }
  sessionPrompt(label: string, session: number): string {
    return join(this.sessionsDir(label), `session-${pad(session)}.prompt.md`);
  }
  verifyLog(label: string, checkpoint: string, attempt: number): string {
    return join(this.buildDir(label), 'verify', `checkpoint-${checkpoint}-${attempt}.log`);
  }
  pidFile(label: string, step: string): string {
    return join(this.buildDir(label), 'pids', `${step.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  }
  workspace(label: string): string {
    return join(this.home, 'workspaces', label);
  }
  notificationsLog(): string {
    return join(this.home, 'notifications.log');
  }
}

export function pad(n: number): string {
  return String(n).padStart(3, '0');
}
