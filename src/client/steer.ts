import {
  type Client,
  type WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ConflictError, NotFoundError } from '../model/errors';
import type { Feedback, Override, Pause, Skip } from '../model/payloads';
import {
  feedbackUpdate,
  overrideUpdate,
  pauseUpdate,
  resumeUpdate,
  retryUpdate,
  skipUpdate,
} from '../workflows/build/messages';
import type { BuildStatusView } from '../workflows/build/state';
import { buildWorkflowId } from './builds';
import { checkedPayload } from './payloads';

/**
 * The person's steering messages to one build, shared by the CLI verbs and the script API. Each is
 * sent as the update of the same name: its payload is checked first with the handler's own schema,
 * and the build's refusal (override when nothing waits...) becomes a ConflictError (exit code 4).
 */
export interface SteerPayloads {
  pause: Pause | undefined;
  resume: undefined;
  override: Override;
  retry: undefined;
  skip: Skip;
  feedback: Feedback;
}
export type SteerVerb = keyof SteerPayloads;

/** The updates, by the name they share with the verb, the signal and the payload schema. */
const UPDATES = {
  pause: pauseUpdate,
  resume: resumeUpdate,
  override: overrideUpdate,
  retry: retryUpdate,
  skip: skipUpdate,
  feedback: feedbackUpdate,
} satisfies Record<SteerVerb, { name: string }>;

function notRunning(label: string): NotFoundError {
  return new NotFoundError(`no running build labelled "${label}"`, 'List builds with `nightshift status`.');
}

function isGone(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || /not found|already completed/i.test((err as Error).message);
}

/** Sends `verb` to build `label` and returns its status once the build has acted on it. */
export async function steerBuild<V extends SteerVerb>(
  client: Client,
  label: string,
  verb: V,
  payload?: SteerPayloads[V],
): Promise<BuildStatusView> {
  const checked = checkedPayload(verb, payload);
  const handle: WorkflowHandle = client.workflow.getHandle(buildWorkflowId(label));
  const name = UPDATES[verb].name;
  try {
    return checked === undefined
      ? await handle.executeUpdate<BuildStatusView, []>(name)
      : await handle.executeUpdate<BuildStatusView, [unknown]>(name, { args: [checked] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ConflictError(
        `${verb} refused: ${err.cause?.message ?? err.message}`,
        `See \`nightshift status ${label}\`.`,
      );
    }
    if (isGone(err)) throw notRunning(label);
    throw err;
  }
}

/** Cancels build `label`: its agent is killed and it finishes as `cancelled`. */
export async function cancelBuild(client: Client, label: string): Promise<void> {
  try {
    await client.workflow.getHandle(buildWorkflowId(label)).cancel();
  } catch (err) {
    if (isGone(err)) throw notRunning(label);
    throw err;
  }
}
