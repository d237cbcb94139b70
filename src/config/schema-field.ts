import { z } from 'zod';
import type { PathSegment } from './yaml-location';

type AnySchema = z.core.$ZodType;

/**
 * The schema that validates the value at `path` inside `root`, with wrappers such as
 * `.optional()`, `.default()` and transforms looked through. Used to tell a person
 * which keys an object allows when they wrote one it does not.
 */
export function fieldSchemaAt(root: AnySchema, path: readonly PathSegment[]): AnySchema | undefined {
  let schema: AnySchema | undefined = unwrap(root);
  for (const segment of path) {
    if (!schema) return undefined;
    if (schema instanceof z.ZodObject) schema = schema.shape[String(segment)];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else return undefined;
    schema = schema && unwrap(schema);
  }
  return schema;
}

/** The keys an object schema at `path` accepts, in declaration order; empty if it is no object. */
export function allowedKeysAt(root: AnySchema, path: readonly PathSegment[]): string[] {
  const schema = fieldSchemaAt(root, path);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodReadonly
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}
