import { distance } from 'fastest-levenshtein';

/** The closest candidate to a misspelt word, if one is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    // Swapped neighbours ("=<" for "<=") are the commonest typo; rank them above any other single edit.
    const d = swapsNeighbours(word, c) ? 0.5 : distance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  // Two edits to a short word make another word ("GET", "PUT"), not a typo of it.
  return bestDistance <= Math.max(1, Math.floor(word.length / 4)) ? best : undefined;
}

function swapsNeighbours(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const i = [...a].findIndex((ch, k) => ch !== b[k]);
  return i >= 0 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/** " (did you mean "x"?)", or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match ? ` (did you mean "${match}"?)` : '';
}
