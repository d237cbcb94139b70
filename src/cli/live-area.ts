/**
 * The last few lines of a terminal, redrawn in place (the release's stage and its rollout
 * panel). Anything printed for good goes through `print`, which clears the area first and
 * draws it again below, so no message lands in the middle of it.
 */
export class LiveArea {
  private shown: string[] = [];

  constructor(private readonly out: NodeJS.WriteStream) {}

  /** Replaces the area's lines (unchanged lines cost nothing: nothing is written). */
  render(lines: string[]): void {
    const fitted = lines.map((line) => this.fit(line));
    if (fitted.length === this.shown.length && fitted.every((line, i) => line === this.shown[i])) return;
    this.out.write(`${this.erase()}${fitted.join('\n')}`);
    this.shown = fitted;
  }

  /** Prints `text` (whole lines) above the area. */
  print(text: string): void {
    const lines = this.shown;
    this.out.write(`${this.erase()}${text.endsWith('\n') ? text : `${text}\n`}`);
    this.shown = [];
    if (lines.length) this.render(lines);
  }

  /** Leaves the terminal as if the area had never been drawn. */
  clear(): void {
    this.out.write(this.erase());
    this.shown = [];
  }

  private erase(): string {
    if (this.shown.length === 0) return '';
    return `\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(this.shown.length - 1)}`;
  }

  /** A line wider than the terminal would wrap and throw the redraw off by a line. */
  private fit(line: string): string {
    const width = this.out.columns;
    return width && line.length >= width ? `${line.slice(0, width - 2)}…` : line;
  }
}
