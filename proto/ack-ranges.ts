/**
 * The Ack downlink's compact form: `through` (everything up to it arrived) and `runs`, alternating
 * lengths of missing and received sequence numbers beyond it (missing first). An odd number of
 * runs ends with a missing run: reports the gateway said it has that never arrived. Shared by the
 * backend that builds acks and the gateway that applies them.
 */

/**
 * Builds an ack from the sequence numbers received (any order, duplicates allowed). `knownUpTo`
 * is the highest seq the gateway said it has given: what is missing up to it ends the runs.
 */
export function buildAck(received: Iterable<number>, previousThrough = 0, maxRuns = 16, knownUpTo = 0): { through: number; runs: number[] } {
  const seqs = [...new Set(received)].filter((s) => s > previousThrough).sort((a, b) => a - b);
  let through = previousThrough;
  let i = 0;
  while (i < seqs.length && seqs[i] === through + 1) {
    through++;
    i++;
  }
  const runs: number[] = [];
  let cursor = through;
  while (i < seqs.length && runs.length + 2 <= maxRuns) {
    const start = seqs[i]!;
    let end = start;
    while (i + 1 < seqs.length && seqs[i + 1] === end + 1) {
      end++;
      i++;
    }
    i++;
    runs.push(start - cursor - 1, end - start + 1);
    cursor = end;
  }
  if (i >= seqs.length && knownUpTo > cursor && runs.length < maxRuns) runs.push(knownUpTo - cursor);
  return { through, runs };
}

/** Walks the runs of an ack: calls `missing` and `received` for each seq beyond `through`, up to `limit` seqs. */
function walk(through: number, runs: readonly number[], limit: number, visit: (seq: number, arrived: boolean) => void): void {
  let cursor = through;
  let visited = 0;
  for (let k = 0; k < runs.length; k++) {
    const arrived = k % 2 === 1;
    const length = runs[k]!;
    if (visited + length > limit) return;
    for (let j = 1; j <= length; j++) visit(cursor + j, arrived);
    cursor += length;
    visited += length;
  }
}

/** The sequence numbers beyond `through` that an ack says arrived. */
export function receivedBeyond(through: number, runs: readonly number[], limit = 100_000): number[] {
  const out: number[] = [];
  walk(through, runs, limit, (seq, arrived) => arrived && out.push(seq));
  return out;
}

/** The sequence numbers beyond `through` that an ack says are missing. */
export function missingBeyond(through: number, runs: readonly number[], limit = 100_000): number[] {
  const out: number[] = [];
  walk(through, runs, limit, (seq, arrived) => !arrived && out.push(seq));
  return out;
}
