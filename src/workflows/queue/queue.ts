import {
  ApplicationFailure,
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  patched,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { type SignalDefinition, type UpdateDefinition, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createActivities } from '../../activities';
import type { NotifyInput } from '../../activities/types';
import { z } from 'zod';
import { parsePayload, type PayloadOf } from '../../model/payloads';
import { buildWorkflow } from '../build/build';
import { parseInput, signalPayload, updatePayload } from '../shared/inputs';
import {
  ENQUEUE_REFUSED,
  type EnqueueRequest,
  approveSignal,
  approveUpdate,
  enqueueUpdate,
  failSignal,
  failUpdate,
  queueQuery,
  removeSignal,
  removeUpdate,
  setPolicySignal,
  setPolicyUpdate,
} from './messages';
import {
  type ActiveBuild,
  type ChildOutcome,
  type QueueItem,
  QueuePolicySchema,
  type QueueState,
  type QueueView,
  admission,
  answerFor,
  approve,
  buildEnded,
  childWorkflowId,
  enqueue,
  initialQueueState,
  markFailed,
  markStarted,
  outcomeOfFailure,
  outcomeOfResult,
  prepareEnqueue,
  remove,
  setPolicy,
  setRunId,
  startRefused,
  toQueueView,
  validateApprove,
  validateFail,
  validateRemove,
  validateSetPolicy,
} from './state';
import { clock, named, timer, wait } from '../shared/markers';
import { NightshiftLabel, NightshiftPriority } from '../shared/searchAttributes';
import { dispatched } from '../shared/dispatch';

type Activities = ReturnType<typeof createActivities>;

export const QueueInitSchema = z.object({
  /** The queue's name; its workflow id is `queue-<name>`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a queue name like "default"'),
  /** The policy of a new queue (a running queue keeps its own; change it with `setPolicy`). */
  policy: QueuePolicySchema.optional(),
  /** Continue-as-new after this many history events even if the server has not suggested it yet. */
  maxHistoryEvents: z.number().int().positive().optional(),
  /** Milliseconds between BUILD_STATUS.md refreshes while builds run (their progress does not wake the queue). */
  refreshEveryMs: z.number().int().positive().optional(),
});
export type QueueInit = z.output<typeof QueueInitSchema>;
export type QueueInitInput = z.input<typeof QueueInitSchema>;

const files = proxyActivities<Activities>(dispatched({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1s' },
}));
const quick = proxyActivities<Activities>(dispatched({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
}));
/** A dead webhook costs a few attempts and is then given up on; it never blocks the queue. */
const hook = proxyActivities<Activities>(dispatched({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 5, initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '4s' },
}));
/** Read-only long poll on a build's result; retried for as long as it takes (the heartbeat finds lost workers). */
const watcher = proxyActivities<Activities>(dispatched({
  startToCloseTimeout: '365 days',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
}));

/**
 * One build queue (seed 002's BUILD_QUEUE.md + auto_build_manager.py), as a long-lived entity.
 * Admission is event-driven: every change (an entry added or approved, a build finished, the policy
 * changed) re-runs the pure admission decision at once, and a durable timer wakes the queue when the
 * off-hours window opens or a retry is due. No heartbeat polling.
 *
 * Builds run as child workflows that outlive the queue (parent-close policy ABANDON). The queue
 * learns of their end from the child's result handle; after a continue-as-new those handles are gone,
 * so the new run watches each carried build by id with the `watchBuild` activity instead. One
 * mechanism per run, and nothing in build.ts needs to know about queues.
 */
export async function queueWorkflow(input: QueueInitInput, carried?: QueueState): Promise<void> {
  const init = parseInput('queue input', QueueInitSchema, input);
  const queue = new Queue(init, carried ?? initialQueueState(init.name, init.policy));
  // Before the first command: a queue whose history began before this replays as it ran.
  queue.filesBeside = patched('nightshift-queue-files-beside');
  queue.installHandlers();
  queue.watchCarried();
  await queue.run();
}

class Queue {
  /** Bumped by every change; the loop acts when it moves, and updates answer once it has acted. */
  private revision = 1;
  private processed = 0;
  private written = 0;
  private lastWrite = 0;
  /**
   * The files are written beside the queue's work, not before it (patch `nightshift-queue-files-beside`):
   * an entry added while BUILD_STATUS.md is being written starts at once instead of after the write.
   */
  filesBeside = false;
  /** The write in flight (files beside); one at a time, followed by another if the state moved meanwhile. */
  private writing: Promise<void> | null = null;
  private wakeAt: string | null = null;
  private pendingHooks = 0;
  private readonly outbox: NotifyInput[] = [];

  constructor(
    private readonly init: QueueInit,
    private readonly state: QueueState,
  ) {}

  installHandlers(): void {
    const s = this.state;
    setHandler(queueQuery, () => toQueueView(s, new Date()));
    setHandler(
      enqueueUpdate,
      async (...args: unknown[]) => {
        const prepared = prepareEnqueue(s, enqueueRequest(args));
        if ('problems' in prepared) throw refused(prepared.problems);
        enqueue(s, prepared.item);
        await this.settled();
        return answerFor(s, prepared.item.entry.label, new Date());
      },
      {
        validator: (...args: unknown[]) => {
          const prepared = prepareEnqueue(s, enqueueRequest(args));
          if ('problems' in prepared) throw refused(prepared.problems);
        },
      },
    );
    this.verb('approve', approveSignal, approveUpdate, (r) => validateApprove(s, r.label), (r) => approve(s, r.label));
    this.verb('remove', removeSignal, removeUpdate, (r) => validateRemove(s, r.label), (r) => remove(s, r.label));
    this.verb('fail', failSignal, failUpdate, (r) => validateFail(s, r.label), (r) => markFailed(s, r.label, r.reason));
    this.verb('setPolicy', setPolicySignal, setPolicyUpdate, (p) => validateSetPolicy(s, p), (p) => setPolicy(s, p ?? {}));
  }

  /**
   * A person's verb as a signal (dropped with a warning when its payload is malformed or it cannot
   * apply) and as an update whose validator refuses the same with the reason. The raw payload is
   * parsed with the CLI's schema first.
   */
  private verb<N extends 'approve' | 'remove' | 'fail' | 'setPolicy', T>(
    name: N,
    signal: SignalDefinition<[T]>,
    update: UpdateDefinition<QueueView, [T]>,
    validate: (payload: PayloadOf<N>) => string | undefined,
    apply: (payload: PayloadOf<N>) => void,
  ): void {
    setHandler(signal, (...args: unknown[]) => {
      const payload = signalPayload(name, args);
      if (!payload) return;
      const why = validate(payload.value);
      if (why) return log.warn(`ignored signal ${name}: ${why}`);
      apply(payload.value);
      this.changed();
    });
    setHandler(
      update,
      async (...args: unknown[]) => {
        apply(updatePayload(name, args));
        await this.settled();
        return toQueueView(this.state, new Date());
      },
      {
        validator: (...args: unknown[]) => {
          const why = validate(updatePayload(name, args));
          if (why) throw new Error(why);
        },
      },
    );
  }

  private changed(): void {
    this.revision += 1;
  }

  /** Lets the loop act on a change before an update answers, so the answer shows its effect. */
  private async settled(): Promise<void> {
    this.changed();
    const mine = this.revision;
    await condition(() => this.processed >= mine, '1 minute', timer('let the queue act on the change (1m)'));
  }

  /** Builds carried over a continue-as-new: watched by id, since their child handles are gone. */
  watchCarried(): void {
    for (const a of this.state.active) {
      this.track(a, named(watcher.watchBuild, `watch ${a.workflowId} until it ends`, { workflowId: a.workflowId, runId: a.runId }));
    }
  }

  async run(): Promise<void> {
    for (;;) {
      const seen = this.revision;
      await this.admit();
      await this.sendCancels();
      await this.flushOutbox();
      this.processed = seen;
      if (this.written !== this.revision || this.refreshDue()) {
        if (this.filesBeside) this.writeFilesBeside();
        else await this.writeFiles();
      }
      const s = this.state;
      setCurrentDetails(`**${s.active.length} building** (${s.active.map((a) => a.entry.label).join(', ') || 'none'}) · ${s.waiting.length} waiting`);
      if (this.revision === seen && this.historyIsLong()) {
        // Handlers still running must finish first; a change meanwhile is processed before trying again.
        await condition(
          () => this.revision !== seen || (allHandlersFinished() && this.pendingHooks === 0 && this.writing === null),
          '1 minute',
          timer('let handlers and webhooks finish before continue-as-new (1m)'),
        );
        if (this.revision === seen) await continueAsNew<typeof queueWorkflow>(this.init, this.state);
        continue;
      }
      const sleep = this.sleepMs();
      if (sleep === undefined) await condition(() => this.revision !== seen);
      else await condition(() => this.revision !== seen, sleep, timer(this.sleepMarker(sleep)));
    }
  }

  private historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (this.init.maxHistoryEvents ?? 5000);
  }

  private refreshDue(): boolean {
    return this.state.active.length > 0 && Date.now() - this.lastWrite >= this.refreshEvery();
  }

  private refreshEvery(): number {
    return this.init.refreshEveryMs ?? 5 * 60_000;
  }

  /** Until the window opens, a retry is due, or (while builds run) BUILD_STATUS.md needs a refresh. */
  private sleepMs(): number | undefined {
    const now = Date.now();
    const at = [this.wakeAt ? Date.parse(this.wakeAt) : Infinity, this.state.active.length > 0 ? this.lastWrite + this.refreshEvery() : Infinity];
    const next = Math.min(...at);
    return next === Infinity ? undefined : Math.max(1, next - now);
  }

  /** What the queue's timer waits for: the off-hours window, a retry, or the next BUILD_STATUS.md refresh. */
  private sleepMarker(ms: number): string {
    const at = new Date(Date.now() + ms).toISOString();
    const tz = this.state.policy.timeZone;
    if (this.wakeAt && Date.parse(this.wakeAt) <= Date.parse(at)) {
      const retry = this.state.waiting.find((i) => i.notBefore === this.wakeAt);
      return retry ? `retry ${retry.entry.label} at ${clock(this.wakeAt, tz)}` : `off-hours window opens ${clock(this.wakeAt, tz)}`;
    }
    return `refresh BUILD_STATUS.md in ${wait(ms)}`;
  }

  private async admit(): Promise<void> {
    const decision = admission(this.state, new Date());
    this.wakeAt = decision.wakeAt;
    // Every admitted build starts in the same workflow task: one after another, 50 builds queued at
    // once waited for 50 round trips (npm run bench:scale). Queues that began before start them in turn.
    if (decision.start.length > 1 && patched('nightshift-queue-parallel-start')) {
      await Promise.all(decision.start.map((label) => this.launch(label)));
      return;
    }
    for (const label of decision.start) await this.launch(label);
  }

  private async launch(label: string): Promise<void> {
    const s = this.state;
    const item = s.waiting.find((w) => w.entry.label === label);
    if (!item) return;
    const workflowId = childWorkflowId(item.run.kind, label);
    markStarted(s, label, workflowId, new Date().toISOString());
    this.changed();
    try {
      const handle = await this.startChild(item, workflowId);
      setRunId(s, label, handle.firstExecutionRunId);
      const active = s.active.find((a) => a.entry.label === label) as ActiveBuild;
      this.track(
        active,
        handle.result().then(outcomeOfResult, (err: unknown) =>
          err instanceof ChildWorkflowFailure ? outcomeOfFailure(err.cause, err.message) : { kind: 'failed' as const, error: String(err) },
        ),
      );
      log.info(`queue ${s.name}: started ${workflowId}`);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const message = `${workflowId} is already running outside queue "${s.name}": let it finish (or cancel it), then approve "${label}" to run it from the queue`;
      startRefused(s, label, message);
      this.outbox.push({ label, event: 'escalated', message });
    }
  }

  private startChild(item: QueueItem, workflowId: string) {
    const options = {
      workflowId,
      parentClosePolicy: 'ABANDON' as const,
      typedSearchAttributes: [
        { key: NightshiftPriority, value: item.entry.priority },
        { key: NightshiftLabel, value: item.entry.label },
      ],
      staticSummary: `${item.entry.name} (${item.entry.priority} priority, queue ${this.state.name}${item.attempts ? `, retry ${item.attempts}` : ''})`,
    };
    // Loops are started by type name, so the queue does not depend on the loop workflow's code.
    return item.run.kind === 'plan'
      ? startChild(buildWorkflow, { ...options, args: [item.run.request] })
      : startChild('loopWorkflow', { ...options, args: [item.run.request] });
  }

  /** Records a child's end when `outcome` settles; a report about an older run of the label is ignored. */
  private track(build: ActiveBuild, outcome: Promise<ChildOutcome>): void {
    const { label } = build.entry;
    const runId = build.runId;
    void outcome.then(
      (o) => {
        const current = this.state.active.find((a) => a.entry.label === label);
        if (!current || (runId && current.runId !== runId)) return;
        const effect = buildEnded(this.state, label, o, new Date().toISOString());
        if (effect?.effect === 'escalate') this.outbox.push({ label, event: 'escalated', message: effect.message });
        if (effect?.effect === 'retry') log.info(`queue ${this.state.name}: ${label} failed (${effect.error}); retry ${effect.attempts} at ${effect.notBefore}`);
        this.changed();
      },
      (err: unknown) => log.warn(`queue ${this.state.name}: lost track of ${label}`, { error: String(err) }),
    );
  }

  /** `fail LABEL`: cancel the build; its end (cancelled) then counts as a failed attempt. */
  private async sendCancels(): Promise<void> {
    for (const a of this.state.active.filter((b) => b.failRequested !== null && !b.cancelSent && b.runId !== null)) {
      a.cancelSent = true;
      try {
        await getExternalWorkflowHandle(a.workflowId).cancel();
      } catch (err) {
        // Already finished: its tracker reports the end anyway.
        log.warn(`queue ${this.state.name}: could not cancel ${a.workflowId}`, { error: String(err) });
      }
    }
  }

  private async flushOutbox(): Promise<void> {
    for (const n of this.outbox.splice(0)) {
      try {
        await named(quick.notify, `notify: ${n.event} · ${n.label}`, n);
      } catch (err) {
        log.warn('notify failed', { error: String(err) });
      }
      this.pendingHooks += 1;
      void named(hook.notifyWebhook, `webhook: ${n.event} · ${n.label}`, n)
        .catch((err: unknown) => log.warn('webhook gave up', { error: String(err) }))
        .finally(() => {
          this.pendingHooks -= 1;
        });
    }
  }

  private writeFilesBeside(): void {
    if (this.writing) return;
    this.writing = this.writeFiles().finally(() => {
      this.writing = null;
      if (this.written !== this.revision) this.writeFilesBeside();
    });
  }

  private async writeFiles(): Promise<void> {
    this.written = this.revision;
    this.lastWrite = Date.now();
    try {
      await named(files.writeQueueFiles, `write BUILD_QUEUE.md and BUILD_STATUS.md`, { view: toQueueView(this.state, new Date()) });
    } catch (err) {
      // The files are a convenience for people; the queue goes on without them.
      log.warn(`queue ${this.state.name}: could not write BUILD_STATUS.md`, { error: String(err) });
    }
  }
}

/** The envelope of an `enqueue`; the entry, agent and policy are checked field by field by prepareEnqueue. */
function enqueueRequest(args: readonly unknown[]): EnqueueRequest {
  const parsed = parsePayload('enqueue', args);
  if (!parsed.ok) throw refused([parsed.problem]);
  return parsed.value as EnqueueRequest;
}

function refused(problems: string[]): ApplicationFailure {
  return ApplicationFailure.create({ message: problems.join('\n'), type: ENQUEUE_REFUSED, details: [problems], nonRetryable: true });
}
