import { z } from 'zod';
import { CatalogueSchema } from './service-catalogue';

/** Identifies this schema; a URN because the schema is shipped in the repository, not hosted. */
export const CATALOGUE_SCHEMA_ID = 'urn:gantry:schema:catalogue:1';

/**
 * The JSON Schema of `gantry.yaml`, generated from the zod schema so the two cannot
 * disagree. It describes what a person writes (io: 'input'): durations are strings
 * such as "30s" and fields with defaults are optional. Draft-07 because it is the
 * draft editors' YAML plugins support best.
 */
export function catalogueJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(CatalogueSchema, { io: 'input', target: 'draft-7' });
  return {
    $schema,
    $id: CATALOGUE_SCHEMA_ID,
    title: 'Gantry service catalogue (gantry.yaml)',
    ...rest,
  };
}

/** The schema as committed in schema/gantry.schema.json: two-space indent, trailing newline. */
export function catalogueJsonSchemaText(): string {
  return `${JSON.stringify(catalogueJsonSchema(), null, 2)}\n`;
}
