import { type Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { EnvironmentError } from '../model/errors';
import { SEARCH_ATTRIBUTE_NAMES } from '../workflows/searchAttributes';

/** `--search-attribute` flags for `temporal server start-dev`. */
export function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTE_NAMES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
}

/**
 * Registers Nightshift's search attributes on any server (idempotent), so a worker pointed at a
 * server that was not started by `nightshift server` still gets a filterable Web UI.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !(name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const name of missing) searchAttributes[name] = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    // Another worker may have registered them at the same moment.
    if (/already exists/i.test((err as Error).message)) return;
    // Temporal Cloud does not take search attributes through the operator API.
    if (/permission|denied|unimplemented|not supported/i.test((err as Error).message)) {
      throw new EnvironmentError(
        `cannot register Nightshift's search attributes on namespace ${namespace}: ${(err as Error).message}`,
        `Add them once as Keyword attributes (on Temporal Cloud: the namespace's Custom Search Attributes in the Cloud UI, or tcld namespace search-attributes add): ${missing.join(', ')}.`,
      );
    }
    throw err;
  }
}
