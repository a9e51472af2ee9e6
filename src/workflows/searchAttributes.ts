import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make the Web UI's workflow list filterable by Nightshift state. */
export const NightshiftStatus = defineSearchAttributeKey('NightshiftStatus', SearchAttributeType.KEYWORD);
export const NightshiftLabel = defineSearchAttributeKey('NightshiftLabel', SearchAttributeType.KEYWORD);
export const NightshiftCheckpoint = defineSearchAttributeKey('NightshiftCheckpoint', SearchAttributeType.KEYWORD);
export const NightshiftPriority = defineSearchAttributeKey('NightshiftPriority', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_NAMES = [
  NightshiftStatus.name,
  NightshiftLabel.name,
  NightshiftCheckpoint.name,
  NightshiftPriority.name,
] as const;
