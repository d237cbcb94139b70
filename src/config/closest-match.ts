/**
 * Edit distance where swapping two neighbouring letters counts as one edit (optimal
 * string alignment), because "buidl" for "build" is one slip of the fingers, not two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The candidate the word was most likely meant to be, for a "did you mean" hint, or
 * undefined when none is close. Case is ignored, and a candidate counts as close when
 * about one letter in three differs ("buidl" → "build", "servces" → "services", but
 * "unit" is not taken for "lint"), or, failing that, when the word is an abbreviation
 * of three letters or more that starts only one candidate ("prod" → "production").
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    const allowed = Math.max(1, Math.floor(candidate.length / 3));
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined || word.length < 3) return best;
  const extended = candidates.filter((candidate) => candidate.toLowerCase().startsWith(word.toLowerCase()));
  return extended.length === 1 ? extended[0] : undefined;
}
