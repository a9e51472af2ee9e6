import { InvalidInputError } from '../model/errors';
import { type MessageName, type PayloadOf, parsePayload } from '../model/payloads';

/**
 * A message payload checked before it is sent, with the schema the workflow's handler uses: the CLI
 * and scripts hear about a bad field at once (exit code 2) instead of from a refused update.
 */
export function checkedPayload<N extends MessageName>(name: N, payload: unknown): PayloadOf<N> {
  const parsed = parsePayload(name, [payload]);
  if (!parsed.ok)
    throw new InvalidInputError(parsed.problem, name, 'Nothing was sent; fix the field and try again.');
  return parsed.value;
}
