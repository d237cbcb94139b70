import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is passed on in pieces, so output without newlines cannot grow memory without bound. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Calls `onLine` for every line of a stream as it arrives (without the line break) and
 * resolves when the stream closes, whether it ended or was destroyed. A last line
 * without a trailing newline is still delivered.
 */
export function forEachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const flush = (text: string) => {
      pending += text;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
      while (pending.length > MAX_LINE_CHARS) {
        onLine(pending.slice(0, MAX_LINE_CHARS));
        pending = pending.slice(MAX_LINE_CHARS);
      }
    };
    stream.on('data', (chunk: Buffer) => flush(decoder.write(chunk)));
    // A read error ends the output early; the process result still says how it ended.
    stream.on('error', () => undefined);
    stream.once('close', () => {
      flush(decoder.end());
      if (pending) onLine(pending);
      resolve();
    });
  });
}
