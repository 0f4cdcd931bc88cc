/**
 * The Ack downlink's compact form: `through` (everything up to it arrived) and `runs`, alternating
 * lengths of missing and received sequence numbers beyond it (missing first). Shared by the backend
 * that builds acks and the gateway that applies them.
 */

/** Builds an ack from the set of sequence numbers received (any order, duplicates allowed). */
export function buildAck(received: Iterable<number>, previousThrough = 0, maxRuns = 16): { through: number; runs: number[] } {
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
  return { through, runs };
}

/** The sequence numbers beyond `through` that an ack says arrived. */
export function receivedBeyond(through: number, runs: readonly number[], limit = 100_000): number[] {
  const out: number[] = [];
  let cursor = through;
  for (let k = 0; k + 1 < runs.length; k += 2) {
    cursor += runs[k]!;
    const length = runs[k + 1]!;
    if (out.length + length > limit) break;
    for (let j = 1; j <= length; j++) out.push(cursor + j);
    cursor += length;
  }
  return out;
}
