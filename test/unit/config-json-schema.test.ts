import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOGUE_SCHEMA_ID, catalogueJsonSchemaText } from '../../src/config/catalogue-json-schema';
import { SERVICE_NAME_PATTERN } from '../../src/config/service-catalogue';

const COMMITTED_FILE = path.resolve(__dirname, '../../schema/gantry.schema.json');

interface JsonSchemaObject {
  type?: string;
  properties?: Record<string, JsonSchemaObject>;
  additionalProperties?: boolean | JsonSchemaObject;
  propertyNames?: { pattern?: string };
  required?: string[];
  enum?: unknown[];
  default?: unknown;
}

function serviceSchema(schema: JsonSchemaObject): JsonSchemaObject {
  const services = schema.properties?.services;
  if (!services || typeof services.additionalProperties !== 'object') throw new Error('no schema for services');
  return services.additionalProperties;
}

test('the committed schema/gantry.schema.json is what the code generates today', () => {
  const committed = fs.readFileSync(COMMITTED_FILE, 'utf8');
  // When this fails, the zod schema changed: regenerate the file with `npm run schema`.
  expect(committed).toBe(catalogueJsonSchemaText());
});

test('it is a draft-07 JSON Schema of the catalogue', () => {
  const schema = JSON.parse(fs.readFileSync(COMMITTED_FILE, 'utf8')) as JsonSchemaObject & Record<string, unknown>;
  expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  expect(schema.$id).toBe(CATALOGUE_SCHEMA_ID);
  expect(schema.title).toMatch(/gantry\.yaml/);
  expect(schema.type).toBe('object');
  expect(schema.required).toEqual(['version', 'services']);
  expect(schema.additionalProperties).toBe(false);
  expect(schema.properties?.services.propertyNames?.pattern).toBe(SERVICE_NAME_PATTERN.source);
});

test('it describes what a person writes: durations as strings, defaulted fields optional', () => {
  const schema = JSON.parse(catalogueJsonSchemaText()) as JsonSchemaObject;
  const service = serviceSchema(schema);
  expect(Object.keys(service.properties ?? {})).toEqual([
    'repository',
    'directory',
    'build',
    'test',
    'artifact',
    'run',
    'smoke',
    'passEnv',
    'environments',
    'approval',
    'changePolicy',
    'roles',
    'groups',
    'signers',
    'notifications',
    'migrations',
  ]);
  expect(service.required).toEqual(['repository', 'build', 'test', 'artifact', 'run']);
  expect(service.additionalProperties).toBe(false);

  const run = service.properties?.run;
  expect(run?.required).toEqual(['command']);
  expect(run?.properties?.startTimeout.type).toBe('string');
  expect(run?.properties?.health.default).toBe('/healthz');

  const approval = service.properties?.approval;
  expect(approval?.required ?? []).toEqual([]);
  expect(approval?.properties?.timeout.type).toBe('string');

  // Environments are named by the team, in order: any name of the pattern, each the same shape.
  const environments = service.properties?.environments;
  expect(environments?.propertyNames?.pattern).toBe('^[a-z][a-z0-9-]{0,62}$');
  const production = environments?.additionalProperties as JsonSchemaObject | undefined;
  expect(production?.properties?.strategy.enum).toEqual(['allAtOnce', 'canary', 'blueGreen']);
  expect(production?.properties?.gate.enum).toEqual(['approval', 'none']);
  expect(production?.required ?? []).toEqual([]);
  expect(Object.keys(production?.properties ?? {})).toEqual(['target', 'strategy', 'gate', 'router', 'metrics', 'canary', 'blueGreen', 'changePolicy', 'approval', 'soakInPrevious', 'database']);

  const canary = production?.properties?.canary;
  expect(canary?.required ?? []).toEqual([]);
  expect(canary?.properties?.interval.type).toBe('string');
  expect(canary?.properties?.analysis.properties?.maxErrorRate).toMatchObject({ type: 'number', minimum: 0, maximum: 1, default: 0.01 });
  expect(production?.properties?.blueGreen.properties?.keepBlueFor.type).toBe('string');
});
