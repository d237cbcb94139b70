import { type ChildProcess, spawn } from 'node:child_process';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { freePort, isPortInUse, waitForPort } from './ports';
import { resolveTemporalCli } from './temporal-binaries';

export { freePort, isPortInUse, waitForPort } from './ports';

/** A running `temporal server start-dev`: the local Temporal server with its web UI. */
export interface DevServer {
  /** gRPC address, `127.0.0.1:<port>`. */
  address: string;
  uiUrl: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
  process: ChildProcess;
}

export interface DevServerOptions {
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; a free one when omitted. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; in memory when omitted. */
  dbFile?: string;
  /** A namespace to create besides `default`. */
  namespace?: string;
  /** Receives every line the server prints; by default only the last lines are kept, for errors. */
  log?: (line: string) => void;
  /** The `temporal` binary; resolved with `resolveTemporalCli()` when omitted. */
  cliPath?: string;
  /** How long to wait for the gRPC port; default 30 s. */
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;
const TAIL_LINES = 40;

/** The arguments after the `temporal` binary, in the order the SDK uses for its own dev server. */
export function devServerArgs(options: { port: number; uiPort: number; dbFile?: string; namespace?: string }): string[] {
  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(options.port), '--ui-port', String(options.uiPort)];
  args.push('--namespace', 'default');
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  if (options.dbFile !== undefined) args.push('--db-filename', options.dbFile);
  args.push('--log-level', 'warn');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  return args;
}

/**
 * Starts a dev server with Gantry's search attributes registered and resolves once its
 * gRPC port accepts connections. Fails with the tail of the server's output when it exits
 * early or does not listen within the timeout.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cliPath = options.cliPath ?? (await resolveTemporalCli()).path;
  const port = options.port ?? (await freePort(HOST));
  let uiPort = options.uiPort ?? (await freePort(HOST));
  while (uiPort === port) uiPort = await freePort(HOST);
  // Something else listening there would pass the readiness check below for a server that never started.
  for (const taken of [port, uiPort]) {
    if (await isPortInUse(HOST, taken)) throw new Error(`cannot start the Temporal dev server: ${HOST}:${taken} is already in use`);
  }
  const args = devServerArgs({ port, uiPort, dbFile: options.dbFile, namespace: options.namespace });

  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    options.log?.(line);
  };
  forEachLine(child.stdout!, onLine);
  forEachLine(child.stderr!, onLine);

  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be started: ${err.message}`));
    child.once('exit', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  });
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const failure = await Promise.race([
    waitForPort(HOST, port, timeoutMs).then(
      () => undefined,
      (err: Error) => err.message,
    ),
    exited.then((how) => `the server ${how}`),
  ]);
  const server: DevServer = {
    address: `${HOST}:${port}`,
    uiUrl: `http://${HOST}:${uiPort}`,
    process: child,
    stop: () => stopProcess(child),
  };
  if (failure !== undefined) {
    await server.stop();
    const output = tail.length ? `\nLast server output:\n${tail.join('\n')}` : '\nThe server printed nothing.';
    throw new Error(`Temporal dev server (${cliPath} ${args.join(' ')}) did not start: ${failure}${output}`);
  }
  return server;
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
  stream.on('end', () => {
    if (buffered.trim()) onLine(buffered);
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_GRACE_MS);
  });
  if ((await Promise.race([exited, killed])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}
