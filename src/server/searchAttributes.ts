import { type Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { EnvironmentError } from '../model/errors';
import { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../workflows/shared/searchAttributes';

/** The attribute's type as `temporal` flags spell it. */
export function cliType(type: SearchAttributeType): 'Keyword' | 'Double' {
  if (type === SearchAttributeType.KEYWORD) return 'Keyword';
  if (type === SearchAttributeType.DOUBLE) return 'Double';
  throw new Error(`search attribute type ${type} has no mapping yet`);
}

/** `--search-attribute` flags for `temporal server start-dev`. */
export function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${cliType(a.type)}`]);
}

/**
 * Registers Nightshift's search attributes on any server (idempotent), so a worker pointed at a
 * server that was not started by `nightshift server` still gets a filterable Web UI.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((a) => !(a.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  const { INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_DOUBLE } = temporal.api.enums.v1.IndexedValueType;
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const a of missing) searchAttributes[a.name] = cliType(a.type) === 'Double' ? INDEXED_VALUE_TYPE_DOUBLE : INDEXED_VALUE_TYPE_KEYWORD;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    // Another worker may have registered them at the same moment.
    if (/already exists/i.test((err as Error).message)) return;
    // Temporal Cloud does not take search attributes through the operator API.
    if (/permission|denied|unimplemented|not supported/i.test((err as Error).message)) {
      throw new EnvironmentError(
        `cannot register Nightshift's search attributes on namespace ${namespace}: ${(err as Error).message}`,
        `Add them once (on Temporal Cloud: the namespace's Custom Search Attributes in the Cloud UI, or tcld namespace search-attributes add): ${missing.map((a) => `${a.name} (${cliType(a.type)})`).join(', ')}.`,
      );
    }
    throw err;
  }
}
