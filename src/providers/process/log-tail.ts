import { open } from 'node:fs/promises';

/** Lines of a tail are cut to this length so failure details stay small enough to travel through Temporal. */
const MAX_TAIL_LINE_CHARS = 1_000;

/** Keeps the last `size` lines it is given. */
export class TailBuffer {
  private readonly lines: string[] = [];

  constructor(private readonly size: number) {}

  push(line: string): void {
    this.lines.push(line.length > MAX_TAIL_LINE_CHARS ? `${line.slice(0, MAX_TAIL_LINE_CHARS)}…` : line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  toArray(): string[] {
    return [...this.lines];
  }
}

/**
 * The last `count` lines of a log file, read from its end so a large log costs no more
 * than `maxBytes`. A missing file has no lines.
 */
export async function readLastLines(file: string, count: number, maxBytes = 64 * 1024): Promise<string[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const tail = new TailBuffer(count);
    const lines = buffer.toString('utf8').split(/\r?\n/);
    // The first line may start mid-line when the file was longer than maxBytes.
    if (length < size) lines.shift();
    if (lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) tail.push(line);
    return tail.toArray();
  } finally {
    await handle.close();
  }
}
