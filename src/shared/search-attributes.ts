import { defineSearchAttributeKey } from '@temporalio/common';

/** Custom search attributes that make releases findable in the Temporal UI and CLI. */
export const GantryService = defineSearchAttributeKey('GantryService', 'KEYWORD');
export const GantryVersion = defineSearchAttributeKey('GantryVersion', 'KEYWORD');
export const GantryStage = defineSearchAttributeKey('GantryStage', 'KEYWORD');
export const GantryOutcome = defineSearchAttributeKey('GantryOutcome', 'KEYWORD');
/** What holds a release before an environment (`deploy window`, `holiday`, `freeze`, `soak`); absent when nothing does. */
export const GantryHold = defineSearchAttributeKey('GantryHold', 'KEYWORD');

/** Name → type, as `temporal server start-dev --search-attribute` and the operator API want them. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword'> = {
  GantryService: 'Keyword',
  GantryVersion: 'Keyword',
  GantryStage: 'Keyword',
  GantryOutcome: 'Keyword',
  GantryHold: 'Keyword',
};
