import net from 'node:net';
import { describeOpenSocket, openSocket, SOCKET_FIX } from './haproxy-socket-permissions';

/** One server line of `show servers state <backend>`. */
export interface HaproxyServerState {
  name: string;
  addr: string;
  port: number;
  /** srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping. */
  opState: number;
  /** srv_admin_state: a bit field, see {@link inMaintenance}. */
  adminState: number;
  /** srv_uweight: the weight set in the config or by `set weight`. */
  weight: number;
}

/**
 * Maintenance bits of srv_admin_state: forced (0x01, `set server … state maint`),
 * inherited (0x02), DNS resolution (0x20), hostname unresolved (0x40). 0x04 only says
 * the config declared the server `disabled`; it stays set after `state ready`.
 */
const MAINTENANCE_BITS = 0x01 | 0x02 | 0x20 | 0x40;

export function inMaintenance(server: HaproxyServerState): boolean {
  return (server.adminState & MAINTENANCE_BITS) !== 0;
}

/** The socket did not answer, or HAProxy refused a command. */
export class HaproxyApiError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HaproxyApiError';
  }
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * HAProxy's runtime API over its stats socket: one command per connection (the
 * socket's non-interactive mode answers and closes), so every answer belongs to exactly
 * one command and a failure is attributed to the command that caused it. Before each
 * connection the socket's permissions are checked: one that others than its owner can
 * write is refused (see haproxy-socket-permissions.ts), so Gantry never drives traffic
 * through a door anyone else could use too.
 */
export class HaproxyRuntimeApi {
  readonly socket: string;
  private readonly timeoutMs: number;

  constructor(socket: string, timeoutMs = DEFAULT_TIMEOUT_MS) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
  }

  /** Sends one command and returns HAProxy's answer as it is. */
  async command(command: string): Promise<string> {
    if (/[\n;]/.test(command)) throw new HaproxyApiError(`refusing to send "${command}": one command at a time, without ; or newlines`);
    const open = await openSocket(this.socket);
    if (open) throw new HaproxyApiError(`refusing to send "${command}": ${describeOpenSocket(open)}; ${SOCKET_FIX}`);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const connection = net.createConnection(this.socket);
      connection.setTimeout(this.timeoutMs, () => connection.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      connection.on('connect', () => connection.write(`${command}\n`));
      connection.on('data', (chunk: Buffer) => chunks.push(chunk));
      connection.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      connection.on('error', (err: NodeJS.ErrnoException) => reject(new HaproxyApiError(`HAProxy stats socket ${this.socket}: ${explainSocketError(err)} (command: ${command})`, { cause: err })));
    });
  }

  /** `show info` as name → value. */
  async info(): Promise<Record<string, string>> {
    const answer = await this.command('show info');
    const info: Record<string, string> = {};
    for (const line of answer.split('\n')) {
      const separator = line.indexOf(':');
      if (separator > 0) info[line.slice(0, separator).trim()] = line.slice(separator + 1).trim();
    }
    if (info.Name === undefined) throw new HaproxyApiError(`HAProxy stats socket ${this.socket} answered "show info" with: ${answer.trim() || '(nothing)'}`);
    return info;
  }

  /** The servers of a backend as `show servers state` reports them. */
  async serversState(backend: string): Promise<HaproxyServerState[]> {
    const answer = await this.command(`show servers state ${backend}`);
    const lines = answer.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    const header = lines.find((line) => line.startsWith('# '));
    if (!header) throw new HaproxyApiError(`HAProxy answered "show servers state ${backend}" with: ${answer.trim() || '(nothing)'}`);
    const columns = header.slice(2).split(/\s+/);
    const column = (fields: string[], name: string): string => {
      const index = columns.indexOf(name);
      if (index < 0 || fields[index] === undefined) throw new HaproxyApiError(`"show servers state" has no column ${name}; header: ${header}`);
      return fields[index] as string;
    };
    return lines
      .filter((line) => !line.startsWith('#') && /^\d+\s/.test(line))
      .map((line) => line.split(/\s+/))
      .filter((fields) => column(fields, 'be_name') === backend)
      .map((fields) => ({
        name: column(fields, 'srv_name'),
        addr: column(fields, 'srv_addr'),
        port: Number(column(fields, 'srv_port')),
        opState: Number(column(fields, 'srv_op_state')),
        adminState: Number(column(fields, 'srv_admin_state')),
        weight: Number(column(fields, 'srv_uweight')),
      }));
  }

  /** `set server <backend>/<server> addr <ip> port <port>`; HAProxy says what changed, or why it did not. */
  async setAddress(backend: string, server: string, ip: string, port: number): Promise<void> {
    const answer = await this.command(`set server ${backend}/${server} addr ${ip} port ${port}`);
    if (!/changed from|no need to change/i.test(answer)) throw refused(`set server ${backend}/${server} addr ${ip} port ${port}`, answer);
  }

  /** `set server <backend>/<server> state ready|maint`; silent when it worked. */
  async setState(backend: string, server: string, state: 'ready' | 'maint'): Promise<void> {
    await this.silent(`set server ${backend}/${server} state ${state}`);
  }

  /** `set weight <backend>/<server> <weight>`; silent when it worked. */
  async setWeight(backend: string, server: string, weight: number): Promise<void> {
    await this.silent(`set weight ${backend}/${server} ${weight}`);
  }

  private async silent(command: string): Promise<void> {
    const answer = await this.command(command);
    if (answer.trim() !== '') throw refused(command, answer);
  }
}

function refused(command: string, answer: string): HaproxyApiError {
  const text = answer.trim() || '(nothing)';
  const hint = /permission denied/i.test(text) ? ' — the stats socket needs `level admin`' : '';
  return new HaproxyApiError(`HAProxy refused "${command}": ${text}${hint}`);
}

function explainSocketError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'no such socket; is HAProxy running with `stats socket <path> level admin` in its global section?';
  if (err.code === 'ECONNREFUSED') return 'connection refused; HAProxy is not running or the socket is stale';
  if (err.code === 'EACCES') return 'permission denied; the worker needs read and write access to the socket (see `stats socket … mode`/`user`/`group`)';
  return err.message;
}
