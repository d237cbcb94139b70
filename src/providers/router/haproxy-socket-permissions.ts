import { stat } from 'node:fs/promises';

/**
 * HAProxy's runtime socket at `level admin` sets weights, addresses and server states
 * with no password: whoever can connect to it (write permission on a Unix socket) can
 * move production traffic. Only the worker's user may, so a socket that its group or
 * anyone else can write is a side door the platform does not use.
 */

/** How to close it, in the words of haproxy.cfg. */
export const SOCKET_FIX = "declare it with `mode 600` (and `user <the worker's user>`) on its `stats socket` line in haproxy.cfg, then reload HAProxy";

/** A socket that others than its owner can write. */
export interface OpenSocket {
  socket: string;
  /** Permission bits, e.g. 0o660. */
  mode: number;
  uid: number;
  /** `its group`, `every user`. */
  writers: string[];
}

/**
 * The socket, when others than its owner can write it; undefined when they cannot, or
 * when it cannot be looked at (missing, a folder the worker may not enter): connecting
 * to it fails then too, and says so more precisely.
 */
export async function openSocket(socket: string): Promise<OpenSocket | undefined> {
  let mode: number;
  let uid: number;
  try {
    ({ mode, uid } = await stat(socket));
  } catch {
    return undefined;
  }
  const writers = [(mode & 0o020) !== 0 ? 'its group' : undefined, (mode & 0o002) !== 0 ? 'every user' : undefined].filter((w) => w !== undefined);
  return writers.length === 0 ? undefined : { socket, mode: mode & 0o777, uid, writers };
}

export function describeOpenSocket(open: OpenSocket): string {
  return `HAProxy runtime socket ${open.socket} (mode ${open.mode.toString(8)}, owner uid ${open.uid}) lets ${open.writers.join(' and ')} write to it, so they can change weights without Gantry`;
}
