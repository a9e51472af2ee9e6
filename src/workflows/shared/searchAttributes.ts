import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make the Web UI's workflow list filterable by Nightshift state. */
export const NightshiftStatus = defineSearchAttributeKey('NightshiftStatus', SearchAttributeType.KEYWORD);
export const NightshiftLabel = defineSearchAttributeKey('NightshiftLabel', SearchAttributeType.KEYWORD);
export const NightshiftCheckpoint = defineSearchAttributeKey('NightshiftCheckpoint', SearchAttributeType.KEYWORD);
export const NightshiftPriority = defineSearchAttributeKey('NightshiftPriority', SearchAttributeType.KEYWORD);
/** The agent kind (`claude`, `codex`, ...). */
export const NightshiftAgent = defineSearchAttributeKey('NightshiftAgent', SearchAttributeType.KEYWORD);
/** Why a build or loop waits (`escalated`, `rate-limited`, ...); unset while it does not. */
export const NightshiftWaitReason = defineSearchAttributeKey('NightshiftWaitReason', SearchAttributeType.KEYWORD);
/** The host that owns the build's worktree (workers started with NIGHTSHIFT_HOST); unset without hosts. */
export const NightshiftHost = defineSearchAttributeKey('NightshiftHost', SearchAttributeType.KEYWORD);
/** Dollars spent so far, as the agents reported them. */
export const NightshiftCostUsd = defineSearchAttributeKey('NightshiftCostUsd', SearchAttributeType.DOUBLE);

/** Every custom attribute with its type, as `nightshift server`, `server --postgres` and workers register them. */
export const SEARCH_ATTRIBUTES = [
  NightshiftStatus,
  NightshiftLabel,
  NightshiftCheckpoint,
  NightshiftPriority,
  NightshiftAgent,
  NightshiftWaitReason,
  NightshiftCostUsd,
  NightshiftHost,
] as const;

export const SEARCH_ATTRIBUTE_NAMES = SEARCH_ATTRIBUTES.map((a) => a.name);
