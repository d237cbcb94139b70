/** Where the release board listens. */
export interface BoardAddress {
  host: string;
  /** 0: any free port. */
  port: number;
}

export const DEFAULT_BOARD_HOST = '127.0.0.1';
export const DEFAULT_BOARD_PORT = 8090;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Whether the board is reachable only from this machine (the default). */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Reads `PORT`, `:PORT`, `HOST:PORT` or `[IPv6]:PORT` (a host alone means the default
 * port). Throws an Error whose message names what is wrong and how to write it; `setting`
 * names where the text came from (an option or a variable).
 */
export function parseBoardAddress(text: string, setting: string): BoardAddress {
  const trimmed = text.trim();
  const example = `write a port (${DEFAULT_BOARD_PORT}), HOST:PORT (127.0.0.1:${DEFAULT_BOARD_PORT}) or [::1]:${DEFAULT_BOARD_PORT}`;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*))(?::(\d+))?$/.exec(trimmed);
  if (!trimmed || !match) throw new Error(`${setting}: "${text}" is not an address; ${example}`);
  const [, ipv6, name, portText] = match;
  // A bare number is a port, not a host.
  if (!ipv6 && name && /^\d+$/.test(name) && portText === undefined) return { host: DEFAULT_BOARD_HOST, port: parsePort(name, setting, text, example) };
  const host = ipv6 ?? (name || DEFAULT_BOARD_HOST);
  return { host, port: portText === undefined ? DEFAULT_BOARD_PORT : parsePort(portText, setting, text, example) };
}

function parsePort(portText: string, setting: string, text: string, example: string): number {
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${setting}: "${text}" has port ${portText}, outside 0–65535; ${example}`);
  return port;
}
