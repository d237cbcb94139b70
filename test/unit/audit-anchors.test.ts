import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addAnchor, readAnchors } from '../../src/cli/audit-anchors';

const file = () => path.join(mkdtempSync(path.join(tmpdir(), 'gantry-anchors-')), 'anchors.txt');
const hash = (c: string) => c.repeat(64);
const at = new Date('2026-12-01T09:00:00Z');

describe('the anchors file of gantry audit verify', () => {
  test('does not exist at first: no anchors; the first head is written with a comment saying what the file is', () => {
    const f = file();
    expect(readAnchors(f)).toEqual([]);
    expect(addAnchor(f, { position: 3, hash: hash('a') }, at)).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe(`# gantry audit anchors: <position> <sha256> <verified at>; keep this file where the database's writers cannot change it\n3 ${hash('a')} 2026-12-01T09:00:00.000Z\n`);
    expect(readAnchors(f)).toEqual([{ position: 3, hash: hash('a') }]);
  });

  test('a head already anchored, or an empty chain, adds nothing; a later head is added below', () => {
    const f = file();
    expect(addAnchor(f, { position: 0, hash: hash('0') }, at)).toBe(false);
    expect(existsSync(f)).toBe(false);
    addAnchor(f, { position: 3, hash: hash('a') }, at);
    expect(addAnchor(f, { position: 3, hash: hash('a') }, at)).toBe(false);
    expect(addAnchor(f, { position: 7, hash: hash('b') }, at)).toBe(true);
    expect(readAnchors(f)).toEqual([
      { position: 3, hash: hash('a') },
      { position: 7, hash: hash('b') },
    ]);
    expect(readdirSync(path.dirname(f))).toEqual(['anchors.txt']); // no temporary file left beside it
  });

  test('a line written by hand without its own newline still gets the next anchor on a line of its own', () => {
    const f = file();
    writeFileSync(f, `5 ${hash('c')}`);
    addAnchor(f, { position: 6, hash: hash('d') }, at);
    expect(readAnchors(f)).toEqual([
      { position: 5, hash: hash('c') },
      { position: 6, hash: hash('d') },
    ]);
  });

  test.each([
    ['a hash that is not sha256 hex', '4 abc\n', /:1: "4 abc" is not an anchor/],
    ['position 0', `0 ${hash('a')}\n`, /:1: .* is not an anchor/],
    ['one position with two hashes', `4 ${hash('a')}\n4 ${hash('b')}\n`, /entry 4 is anchored twice with different hashes; the file itself was edited/],
  ])('bad input, %s: exit 2 naming the file and line', (_, text, message) => {
    const f = file();
    writeFileSync(f, text);
    let thrown: unknown;
    try {
      readAnchors(f);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
    expect(readFileSync(f, 'utf8')).toBe(text);
  });
});
