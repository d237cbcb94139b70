import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { closestMatch } from './closest-match';
import { ConfigError, type ConfigIssue } from './config-error';
import { displayPath } from './display-path';
import { RepositorySchema, repositoryForm, type Catalogue, type ServiceConfig } from './service-catalogue';
import { formatPath, validateCatalogue } from './validate-catalogue';
import { yamlSyntaxIssues } from './yaml-syntax-issues';
import { locateInYaml, type PathSegment, type PointAt } from './yaml-location';

export { ConfigError, type ConfigIssue } from './config-error';
export { findCatalogueFile } from './find-catalogue-file';

/** One service of the catalogue with its repository resolved. */
export interface ResolvedService {
  name: string;
  config: ServiceConfig;
  /**
   * The service's git repository as the worker fetches it: a URL as written, or an
   * absolute path (a relative one resolved against the catalogue's folder).
   */
  repository: string;
  /** Folder inside the repository that holds the service, normalised (`.` for the root). */
  directory: string;
}

/** Where a catalogue's text came from, which decides how errors name it and how paths in it resolve. */
export interface CatalogueOrigin {
  /** Names the catalogue in errors: an absolute path, or e.g. `https://git.example.com/platform.git#main:gantry.yaml`. */
  file: string;
  /** How errors show `file`, e.g. `gantry.yaml`; defaults to `file`. */
  displayFile?: string;
  /**
   * Absolute folder that relative repository paths resolve against (the catalogue
   * file's folder). Undefined for a catalogue read from git, which has no folder on
   * the worker, so it must name repositories by URL or absolute path.
   */
  repositoryBase?: string;
}

/** A validated catalogue and where it came from. */
export interface LoadedCatalogue {
  /** Where it came from, as errors name it: an absolute path, or `<repository>#<ref>:<path>`. */
  file: string;
  /** Folder relative repository paths resolved against; undefined for a catalogue read from git. */
  repositoryBase?: string;
  catalogue: Catalogue;
  /** The named service; throws a ConfigError naming the declared services if there is none. */
  service(name: string): ResolvedService;
}

/**
 * Reads a catalogue file and parses it with relative repository paths resolved
 * against the file's folder. A file that cannot be read is a ConfigError like any
 * problem in it.
 */
export function loadCatalogue(filePath: string): LoadedCatalogue {
  const file = path.resolve(filePath);
  const displayFile = displayPath(file);
  const text = readCatalogueText(file, (issues) => new ConfigError(file, issues, displayFile));
  return parseCatalogue(text, { file, displayFile, repositoryBase: path.dirname(file) });
}

/**
 * Parses and validates a catalogue's text. Every problem (YAML syntax, schema, a
 * relative repository where there is nothing to resolve it against) is collected and
 * thrown together as one ConfigError whose issues carry the line and column of the
 * offending node. Nothing is checked on disk or over the network: repositories are
 * checked when a release is admitted, so a repository that is briefly unreachable
 * does not make the whole catalogue unusable.
 */
export function parseCatalogue(text: string, origin: CatalogueOrigin): LoadedCatalogue {
  const { file, repositoryBase } = origin;
  const displayFile = origin.displayFile ?? file;
  const fail = (issues: ConfigIssue[]) => new ConfigError(file, sortByPosition(issues), displayFile);

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
  if (repositoryBase === undefined) {
    for (const service of relativeRepositories(data)) {
      const segments = ['services', service, 'repository'];
      issues.push({
        path: formatPath(segments),
        ...locate(segments),
        message: 'a catalogue kept in git must name repositories by URL or absolute path; a relative path has no folder to resolve against',
      });
    }
  }
  if (!validation.success || issues.length > 0) throw fail(issues);

  const catalogue = validation.catalogue;
  return {
    file,
    repositoryBase,
    catalogue,
    service(name: string): ResolvedService {
      if (!Object.hasOwn(catalogue.services, name)) throw unknownServiceError(file, displayFile, catalogue, name);
      const config = catalogue.services[name];
      return { name, config, repository: resolveRepository(config.repository, repositoryBase), directory: config.directory };
    },
  };
}

/** URLs, scp-like addresses and absolute paths as written; a relative path made absolute. */
function resolveRepository(repository: string, base: string | undefined): string {
  if (repositoryForm(repository) !== 'relative') return repository;
  // parseCatalogue refuses relative repositories when there is no base.
  if (base === undefined) throw new Error(`relative repository ${JSON.stringify(repository)} without a base folder`);
  return path.resolve(base, repository);
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
 * Services whose repository is an otherwise valid relative path. Checked on the raw
 * data rather than after validation so these are reported with the schema problems,
 * in the same run; a repository the schema refuses is left to its message.
 */
function relativeRepositories(data: unknown): string[] {
  const services = isPlainObject(data) ? data.services : undefined;
  if (!isPlainObject(services)) return [];
  return Object.entries(services).flatMap(([service, config]) => {
    const parsed = RepositorySchema.safeParse(isPlainObject(config) ? config.repository : undefined);
    return parsed.success && repositoryForm(parsed.data) === 'relative' ? [service] : [];
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
