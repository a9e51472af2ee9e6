/**
 * What the Stop hook decides by itself, when Temporal cannot answer in time: the loop's rule applied
 * to the count kept in the local state file. Pure.
 */
import { decideStop, type HookState, type StopAnswer } from '../model/hookLoop';

export function localDecision(state: HookState, promiseSeen: boolean): { answer: StopAnswer; next: HookState } {
  const iteration = state.iterations + 1;
  const answer = decideStop({ iteration, maxIterations: state.maxIterations, promiseSeen, prompt: state.prompt });
  return { answer, next: { ...state, iterations: iteration } };
}

/** The line the hook prints on stderr (and shows the person) when it decided without the workflow. */
export function localRuleMessage(state: HookState, answer: StopAnswer, why: string): string {
  const of = state.maxIterations !== null ? ` of ${state.maxIterations}` : '';
  const what =
    answer.decision === 'block'
      ? 'promise not seen: the prompt is handed back'
      : answer.status === 'completed'
        ? 'completion promise seen: the session may stop'
        : 'iteration limit reached: the session may stop';
  const after = answer.decision === 'allow' ? `; the hook is removed, and the workflow did not hear of it: run \`nightshift loop --cancel ${state.taskName}\` once the server is back` : '';
  return `nightshift: no answer from loop ${state.taskName} through Temporal at ${state.temporal.address} (${why}; server unreachable or no worker); local rule: iteration ${answer.iteration}${of}, ${what}${after}`;
}
