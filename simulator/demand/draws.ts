/**
 * Random draws the demand model needs beyond common/random.ts: gamma multipliers, geometric burst
 * sizes, group sizes from a table, and a stop's own factor drawn from a quantile table. All go
 * through a passed Rng (or a seed derived from a stop id), never Math.random.
 */
import { hashString, Rng } from '../../common/random.js';

/** Gamma(shape, scale 1/shape): mean 1, variance 1/shape (Marsaglia and Tsang, 2000). */
export function gammaMeanOne(rng: Rng, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) return 1;
  const boost = shape < 1;
  const k = boost ? shape + 1 : shape;
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  let x: number;
  for (;;) {
    const z = rng.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = rng.next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
      x = d * v;
      break;
    }
  }
  if (boost) x *= rng.next() ** (1 / shape);
  return x / shape;
}

/** 1, 2, 3, ... with mean `mean` (geometric on the positive integers). */
export function geometricCount(rng: Rng, mean: number): number {
  if (!(mean > 1)) return 1;
  const q = 1 - 1 / mean;
  const u = 1 - rng.next();
  return 1 + Math.floor(Math.log(u) / Math.log(q));
}

/** An index 0..n−1 drawn with the probabilities in `table` (which sum to 1). */
export function drawFromTable(rng: Rng, table: readonly number[]): number {
  let u = rng.next();
  for (let i = 0; i < table.length - 1; i++) {
    u -= table[i]!;
    if (u < 0) return i;
  }
  return table.length - 1;
}

/** The value at probability u of a distribution given by quantiles at 0, 1/(n−1), ..., 1 (log-linear between). */
export function quantileAt(quantiles: readonly number[], u: number): number {
  const pos = Math.min(1, Math.max(0, u)) * (quantiles.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(quantiles.length - 1, lo + 1);
  const a = Math.log(quantiles[lo]!);
  const b = Math.log(quantiles[hi]!);
  return Math.exp(a + (b - a) * (pos - lo));
}

/** A uniform number in (0, 1) fixed by a name: the same stop id always gets the same one. */
export function uniformFromName(seed: string, name: string): number {
  return new Rng(hashString(`${seed}:${name}`)).next();
}
