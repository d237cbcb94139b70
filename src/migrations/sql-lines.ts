/**
 * Lines of a SQL text, as PostgreSQL's parser reports places in it: statement locations
 * as byte offsets into the UTF-8 text, syntax errors as character positions. Shared by
 * the rules' parse and the runner's statement split, so both name the same line.
 */

/** The 1-based line of a byte offset into the text's UTF-8 bytes. */
export function lineOfByte(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** The 1-based line of a character position (code points, as the parser counts them). */
export function lineOfCharacter(sql: string, position: number): number {
  let line = 1;
  let index = 0;
  for (const character of sql) {
    if (index++ >= position) break;
    if (character === '\n') line++;
  }
  return line;
}
