/**
 * The JSON Schema of a flag document, written from flagd's published definition
 * (https://flagd.dev/schema/v0/flags.json and targeting.json; no schema file ships in the
 * npm packages, only a precompiled validator inside @openfeature/flagd-core). It covers
 * the structure; what a schema cannot say (the default variant is a variant, fractional
 * weights add up to 100, operators flagd knows) is checked in flag-semantics.ts.
 *
 * Two deliberate differences, both stricter than flagd:
 * - a flag and the document accept only the fields flagd defines, because flagd ignores
 *   an unknown field silently and `defaultvariant` (a typo) would then serve nothing;
 * - `variants` is required: a flag Gantry rolls out has values to roll out.
 * Tests check that every document this accepts is also accepted by flagd's own validator.
 */

const METADATA = {
  type: 'object',
  additionalProperties: { type: ['string', 'number', 'boolean'] },
} as const;

const TARGETING = { type: 'object' } as const;

export const FLAG_DOCUMENT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://gantry.dev/schema/flags.json',
  title: 'flagd flag definition',
  type: 'object',
  required: ['flags'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    flags: {
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: { $ref: '#/definitions/flag' },
    },
    $evaluators: {
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: TARGETING,
    },
    metadata: METADATA,
  },
  definitions: {
    flag: {
      type: 'object',
      required: ['state', 'variants'],
      additionalProperties: false,
      properties: {
        state: { type: 'string', enum: ['ENABLED', 'DISABLED'] },
        variants: {
          type: 'object',
          minProperties: 1,
          propertyNames: { minLength: 1 },
          additionalProperties: { type: ['boolean', 'number', 'string', 'object'] },
        },
        defaultVariant: { type: ['string', 'null'] },
        targeting: TARGETING,
        metadata: METADATA,
      },
    },
  },
} as const;
