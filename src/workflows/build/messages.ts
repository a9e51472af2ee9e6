import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Feedback, Override, Pause, Progress, Skip } from '../../model/payloads';
import type { BuildStatusView } from './state';

/**
 * Every message of a build, defined once. The names are the public API: `nightshift <verb>`,
 * `temporal workflow signal --name <verb>` and the Web UI all use them. Each human message exists as a
 * signal (fire-and-forget, works from any tool) and as an update of the same name whose validator
 * refuses what the build cannot honour, so the CLI can say why.
 *
 * The payloads' zod schemas live in ../model/payloads, shared with the CLI and the script API: every
 * handler parses its raw arguments there first, so a malformed raw signal is dropped with a warning
 * naming the field and a malformed update is refused by its validator.
 */
export type { Feedback, Override, Pause, Progress, Skip } from '../../model/payloads';

// `temporal workflow signal --name pause` may send no input at all: handlers accept undefined too.
export const pauseSignal = defineSignal<[Pause]>('pause');
export const resumeSignal = defineSignal('resume');
export const overrideSignal = defineSignal<[Override]>('override');
export const retrySignal = defineSignal('retry');
export const skipSignal = defineSignal<[Skip]>('skip');
export const feedbackSignal = defineSignal<[Feedback]>('feedback');
export const progressSignal = defineSignal<[Progress]>('progress');

export const pauseUpdate = defineUpdate<BuildStatusView, [Pause]>('pause');
export const resumeUpdate = defineUpdate<BuildStatusView>('resume');
export const overrideUpdate = defineUpdate<BuildStatusView, [Override]>('override');
export const retryUpdate = defineUpdate<BuildStatusView>('retry');
export const skipUpdate = defineUpdate<BuildStatusView, [Skip]>('skip');
export const feedbackUpdate = defineUpdate<BuildStatusView, [Feedback]>('feedback');

export const statusQuery = defineQuery<BuildStatusView>('status');

export const HUMAN_MESSAGES = ['pause', 'resume', 'override', 'retry', 'skip', 'feedback'] as const;
export type HumanMessage = (typeof HUMAN_MESSAGES)[number];
