import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Override } from '../build/messages';
import type { StopAnswer } from '../../model/hookLoop';
import type { Iteration } from '../../model/payloads';
import type { LoopStatusView } from './state';

/**
 * A loop's messages. The names match the build's (`status`, `retry`, `override`), so the same words
 * work on both from `temporal workflow signal|query|update`; the payloads are the loop's own view.
 * `progress` comes from the session activity and is the build's `progressSignal`.
 */
export const loopStatusQuery = defineQuery<LoopStatusView>('status');
export const loopRetrySignal = defineSignal('retry');
export const loopOverrideSignal = defineSignal<[Override]>('override');
export const loopRetryUpdate = defineUpdate<LoopStatusView>('retry');
export const loopOverrideUpdate = defineUpdate<LoopStatusView, [Override]>('override');

/** Memo key under which each run keeps its counters, so `--continue` works even after a cancel. */
export const LOOP_MEMO = 'nightshiftLoop';

/**
 * Hook mode: the Stop hook of the interactive Claude Code session reports each stop it intercepts
 * (src/hooks/stopHook.ts) and waits for the answer: block the stop and hand the prompt back, or allow it.
 */
export const iterationUpdate = defineUpdate<StopAnswer, [Iteration]>('iteration');
