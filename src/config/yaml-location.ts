import { isAlias, isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

export type PathSegment = string | number;

/** Where in the YAML an issue should point: at the value of the path, or at its key. */
export type PointAt = 'value' | 'key';

export interface YamlLocation {
  line: number;
  column: number;
}

/**
 * The line and column of `path` in a parsed YAML document.
 *
 * A path that does not exist in the file (a missing key) points at the deepest part
 * that does: the key of the parent object, e.g. `web:` when `services.web.build` is
 * missing, since that is where the key has to be added. `pointAt: 'key'` points at the
 * key itself rather than its value, which is what an unknown or misspelt key needs.
 * Returns undefined only when the document has no content at all.
 */
export function locateInYaml(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  pointAt: PointAt = 'value',
): YamlLocation | undefined {
  let node: unknown = doc.contents;
  // The key node under which `node` was found: where to point when the rest is missing.
  let keyOfNode: unknown;
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const child = childOf(node, segment);
    if (!child) return positionOf(keyOfNode ?? node, lineCounter);
    const isLast = index === path.length - 1;
    if (isLast && pointAt === 'key' && child.key) return positionOf(child.key, lineCounter);
    keyOfNode = child.key;
    node = child.value;
  }
  // `key:` with nothing after it has no value node; the key is the place to point at.
  return positionOf(node ?? keyOfNode, lineCounter) ?? positionOf(keyOfNode, lineCounter);
}

function childOf(node: unknown, segment: PathSegment): { key?: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
    return pair ? { key: pair.key, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
    return { value: node.items[segment] };
  }
  return undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function positionOf(node: unknown, lineCounter: LineCounter): YamlLocation | undefined {
  const range = isNode(node) ? node.range : undefined;
  if (!range) return undefined;
  const { line, col } = lineCounter.linePos(range[0]);
  return { line, column: col };
}
