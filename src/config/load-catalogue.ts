import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { closestMatch } from './closest-match';
import { ConfigError, type ConfigIssue } from './config-error';
import { displayPath } from './display-path';
import type { Catalogue, ServiceConfig } from './service-catalogue';
import { formatPath, validateCatalogue } from './validate-catalogue';
import { yamlSyntaxIssues } from './yaml-syntax-issues';
import { locateInYaml, type PathSegment, type PointAt } from './yaml-location';

export { ConfigError, type ConfigIssue } from './config-error';
export { findCatalogueFile } from './find-catalogue-file';

/** One service of the catalogue with its source directory made absolute. */
export interface ResolvedService {
  name: string;
  config: ServiceConfig;
  /** Absolute path of the service's source directory (config paths are relative to gantry.yaml). */
  sourceDir: string;
}

/** A validated catalogue and where it came from. */
export interface LoadedCatalogue {
  /** Absolute path of the catalogue file. */
  file: string;
  /** Absolute path of the directory holding it: the base of every relative path in it. */
  dir: string;
  catalogue: Catalogue;
  /** The named service; throws a ConfigError naming the declared services if there is none. */
  service(name: string): ResolvedService;
}

/**
 * Reads, parses and validates a service catalogue. Every problem in the file (YAML
 * syntax, schema, missing source directories) is collected and thrown together as one
 * ConfigError whose issues carry the line and column of the offending node.
 */
export function loadCatalogue(filePath: string): LoadedCatalogue {
  const file = path.resolve(filePath);
  const dir = path.dirname(file);
  const displayFile = displayPath(file);
  const fail = (issues: ConfigIssue[]) => new ConfigError(file, sortByPosition(issues), displayFile);

  const text = readCatalogueText(file, fail);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) throw fail(yamlSyntaxIssues(doc.errors, lineCounter));
  const data = toPlainData(doc, fail);

  const locate = (segments: PathSegment[], pointAt: PointAt = 'value'): Pick<ConfigIssue, 'line' | 'column'> => {
    const location = locateInYaml(doc, lineCounter, segments, pointAt);
    return location ? { line: location.line, column: location.column } : {};
  };
  const validation = validateCatalogue(data);
  const issues: ConfigIssue[] = validation.success
    ? []
    : validation.issues.map((issue) => ({ path: formatPath(issue.path), ...locate(issue.path, issue.pointAt), message: issue.message }));
  for (const missing of missingSourceDirs(data, file)) {
    const segments = ['services', missing.service, 'source'];
    issues.push({ path: formatPath(segments), ...locate(segments), message: missing.message });
  }
  if (!validation.success || issues.length > 0) throw fail(issues);

  const catalogue = validation.catalogue;
  return {
    file,
    dir,
    catalogue,
    service(name: string): ResolvedService {
      if (!Object.hasOwn(catalogue.services, name)) throw unknownServiceError(file, displayFile, catalogue, name);
      const config = catalogue.services[name];
      return { name, config, sourceDir: path.resolve(dir, config.source) };
    },
  };
}

function readCatalogueText(file: string, fail: (issues: ConfigIssue[]) => ConfigError): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'file not found; pass the catalogue with --config <file> or set GANTRY_CONFIG'
        : code === 'EISDIR'
          ? 'is a directory; pass the gantry.yaml inside it'
          : `cannot be read: ${(err as Error).message}`;
    throw fail([{ path: '', message }]);
  }
}

/** Plain JS data from the YAML; aliases that point nowhere or expand without end fail here. */
function toPlainData(doc: Document, fail: (issues: ConfigIssue[]) => ConfigError): unknown {
  try {
    return doc.toJS();
  } catch (err) {
    throw fail([{ path: '', message: `YAML error: ${(err as Error).message}` }]);
  }
}

/**
 * Services whose `source` names a directory that does not exist. Checked on the raw
 * data rather than after validation so these are reported with the schema problems,
 * in the same run.
 */
function missingSourceDirs(data: unknown, file: string): { service: string; message: string }[] {
  const dir = path.dirname(file);
  const services = isPlainObject(data) ? data.services : undefined;
  if (!isPlainObject(services)) return [];
  return Object.entries(services).flatMap(([service, config]) => {
    const source = isPlainObject(config) ? config.source : undefined;
    if (typeof source !== 'string' || source.trim() === '') return [];
    const resolved = path.resolve(dir, source);
    const stat = fs.statSync(resolved, { throwIfNoEntry: false });
    if (stat?.isDirectory()) return [];
    const problem = stat ? 'is not a directory' : 'does not exist';
    return [
      {
        service,
        message: `source directory ${JSON.stringify(source)} ${problem} (resolved to ${resolved}); it is relative to the directory of ${path.basename(file)}`,
      },
    ];
  });
}

function unknownServiceError(file: string, displayFile: string, catalogue: Catalogue, name: string): ConfigError {
  const known = Object.keys(catalogue.services);
  const suggestion = closestMatch(name, known);
  const didYouMean = suggestion ? `did you mean ${JSON.stringify(suggestion)}? The` : 'the';
  return new ConfigError(
    file,
    [{ path: formatPath(['services', name]), message: `unknown service ${JSON.stringify(name)}; ${didYouMean} catalogue declares ${known.join(', ')}` }],
    displayFile,
  );
}

/** Issues in file order, so a person can fix them top to bottom; those without a line first. */
function sortByPosition(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
