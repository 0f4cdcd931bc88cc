/**
 * Overdispersion of boardings and the group sizes behind it. Counts per stop event cannot see
 * groups; what they show is a variance larger than a Poisson count's. Two readings are combined:
 * at quiet stop events a count is nearly always zero or one group, so the sizes of the non-zero
 * counts there give the group-size law; the rest of the excess variance, measured in classes of
 * equal expected mean, is put on bursts (several groups arriving together: a feeder bus or train
 * unloading, a school letting out), which grow with how busy the stop event is, and on a rate that
 * varies from visit to visit (a gamma multiplier). For a compound Poisson count with group sizes
 * G, var/mean = E[G²]/E[G]; a gamma-varying rate with squared coefficient of variation cv² adds
 * cv²·mean. Must stay pure: no I/O, no randomness.
 */

export interface DispersionClass {
  meanExpected: number;
  meanObserved: number;
  varianceToMean: number;
  events: number;
}

export interface DispersionFit {
  intercept: number;
  slope: number;
  classes: DispersionClass[];
}

export interface CellExpectations {
  /** Index into the input of each event kept (its cell had enough events and counts). */
  index: number[];
  expected: number[];
  observed: number[];
  /** n/(n − 1) of the event's cell: the cell's rate was estimated from the same counts. */
  correction: number[];
}

/**
 * Expected counts within comparable cells: each cell's own rate per minute of exposure times the
 * event's exposure. What the cell mean absorbs (a stop busier in the morning, a line busier than
 * another) no longer shows as variance; what is left is variation from visit to visit.
 */
export function withinCellExpectations(
  cellOf: readonly string[],
  exposure: readonly number[],
  counts: readonly number[],
  minEvents = 5,
): CellExpectations {
  const cells = new Map<string, number[]>();
  cellOf.forEach((key, i) => {
    let list = cells.get(key);
    if (!list) cells.set(key, (list = []));
    list.push(i);
  });
  const out: CellExpectations = { index: [], expected: [], observed: [], correction: [] };
  for (const idx of cells.values()) {
    if (idx.length < minEvents) continue;
    let sumCounts = 0;
    let sumExposure = 0;
    for (const i of idx) {
      sumCounts += counts[i]!;
      sumExposure += exposure[i]!;
    }
    if (!(sumCounts > 0 && sumExposure > 0)) continue;
    const rate = sumCounts / sumExposure;
    for (const i of idx) {
      out.index.push(i);
      out.expected.push(rate * exposure[i]!);
      out.observed.push(counts[i]!);
      out.correction.push(idx.length / (idx.length - 1));
    }
  }
  return out;
}

/**
 * Groups events by their expected mean (log-spaced classes, factor 2 wide), computes var/mean of the
 * observed counts around the expected ones in each class, and fits var/mean = a + b·mean by least
 * squares weighted by events. Classes with fewer than `minEvents` events are left out. `correction`
 * scales each squared deviation (for expectations estimated from the same counts).
 */
export function fitDispersion(
  expected: readonly number[],
  observed: readonly number[],
  minEvents = 200,
  correction?: readonly number[],
): DispersionFit {
  const classes = new Map<number, { n: number; sumMu: number; sumObs: number; sumSq: number }>();
  for (let i = 0; i < expected.length; i++) {
    const mu = expected[i]!;
    if (!(mu > 0.05)) continue;
    const k = Math.floor(Math.log2(mu));
    let c = classes.get(k);
    if (!c) classes.set(k, (c = { n: 0, sumMu: 0, sumObs: 0, sumSq: 0 }));
    const d = observed[i]! - mu;
    c.n++;
    c.sumMu += mu;
    c.sumObs += observed[i]!;
    c.sumSq += d * d * (correction?.[i] ?? 1);
  }
  const rows: DispersionClass[] = [...classes.entries()]
    .sort((a, b) => a[0] - b[0])
    .filter(([, c]) => c.n >= minEvents)
    .map(([, c]) => ({ meanExpected: c.sumMu / c.n, meanObserved: c.sumObs / c.n, varianceToMean: c.sumSq / c.sumMu, events: c.n }));
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const r of rows) {
    sw += r.events;
    sx += r.events * r.meanExpected;
    sy += r.events * r.varianceToMean;
    sxx += r.events * r.meanExpected * r.meanExpected;
    sxy += r.events * r.meanExpected * r.varianceToMean;
  }
  const det = sw * sxx - sx * sx;
  let slope = det > 0 ? (sw * sxy - sx * sy) / det : 0;
  let intercept = sw > 0 ? (sy - slope * sx) / sw : 1;
  if (slope < 0) {
    slope = 0;
    intercept = sw > 0 ? sy / sw : 1;
  }
  return { intercept: Math.max(0, intercept), slope, classes: rows };
}

export function tableMoments(table: readonly number[]): { mean: number; meanSquare: number } {
  let mean = 0;
  let meanSquare = 0;
  table.forEach((p, i) => {
    mean += p * (i + 1);
    meanSquare += p * (i + 1) * (i + 1);
  });
  return { mean, meanSquare };
}

export interface GroupSizeFit {
  /** P(group of 1..maxSize persons); larger groups are counted as maxSize. */
  table: number[];
  /** Events (with expected mean below the limit) the table was read from. */
  events: number;
}

/**
 * Group sizes read from the quiet stop events, where boardings are nearly always zero or one group:
 * for a compound Poisson count with group-size law g and λ groups on average, Panjer's recursion
 * P(k) = (λ/k) Σ_{j=1..k} j·g_j·P(k−j) can be solved for g from the observed P(0..k), with
 * λ = −ln P(0). Pooling events whose λ differ makes this approximate (it slightly overstates the
 * large groups). Negative estimates from sampling noise are set to zero.
 */
export function fitGroupSizes(counts: readonly number[], maxSize = 6): GroupSizeFit {
  const kMax = 4 * maxSize;
  const hist = new Array<number>(kMax + 1).fill(0);
  for (const c of counts) hist[Math.min(kMax, Math.max(0, Math.round(c)))]!++;
  const n = counts.length;
  const p = hist.map((h) => h / Math.max(1, n));
  const p0 = p[0]!;
  if (n === 0 || p0 <= 0 || p0 >= 1) return { table: [1, ...new Array<number>(maxSize - 1).fill(0)], events: n };
  const lambda = -Math.log(p0);
  const g = new Array<number>(kMax + 1).fill(0);
  for (let k = 1; k <= kMax; k++) {
    let s = 0;
    for (let j = 1; j < k; j++) s += j * g[j]! * p[k - j]!;
    g[k] = Math.max(0, ((k * p[k]!) / lambda - s) / (k * p0));
  }
  const table = new Array<number>(maxSize).fill(0);
  for (let k = 1; k <= kMax; k++) table[Math.min(maxSize, k) - 1]! += g[k]!;
  const total = table.reduce((a, b) => a + b, 0);
  return { table: total > 0 ? table.map((v) => v / total) : [1, ...new Array<number>(maxSize - 1).fill(0)], events: n };
}

export interface BurstFit {
  /** Mean number of groups per burst at busy stop events (1 = no bursts). */
  maxMeanGroups: number;
  /** Expected boardings at which bursts reach 63% of their full size. */
  scale: number;
  /** Squared coefficient of variation of the per-visit gamma rate multiplier. */
  rateNoiseCv2: number;
}

/** Mean groups per burst at a stop event with `expected` boardings. */
export function burstMeanGroups(b: Pick<BurstFit, 'maxMeanGroups' | 'scale'>, expected: number): number {
  return 1 + (b.maxMeanGroups - 1) * (1 - Math.exp(-expected / b.scale));
}

/**
 * var/mean that the model gives at expected mean μ: groups alone give E[G²]/E[G]; bursts of a
 * geometric number of groups (mean m) add 2(m − 1)·E[G]; the rate multiplier adds cv²·μ.
 */
export function modelVarianceToMean(table: readonly number[], fit: BurstFit, expected: number): number {
  const { mean, meanSquare } = tableMoments(table);
  return meanSquare / mean + 2 * (burstMeanGroups(fit, expected) - 1) * mean + fit.rateNoiseCv2 * expected;
}

/**
 * Fits bursts and rate noise to the var/mean classes, with the groups fixed: least squares weighted
 * by events, linear in the burst amplitude and cv² for each scale on a grid, both kept >= 0.
 */
export function fitBurstsAndNoise(classes: readonly DispersionClass[], table: readonly number[]): BurstFit {
  const { mean, meanSquare } = tableMoments(table);
  const base = meanSquare / mean;
  let best: BurstFit & { sse: number } = { maxMeanGroups: 1, scale: 1, rateNoiseCv2: 0, sse: Infinity };
  for (let i = 0; i <= 40; i++) {
    const scale = 0.05 * 400 ** (i / 40);
    const x1 = classes.map((c) => 1 - Math.exp(-c.meanExpected / scale));
    const x2 = classes.map((c) => c.meanExpected);
    const y = classes.map((c) => c.varianceToMean - base);
    const w = classes.map((c) => c.events);
    const [a, c] = nonNegativeLeastSquares2(x1, x2, y, w);
    const sse = classes.reduce((s, _, k) => s + w[k]! * (y[k]! - a * x1[k]! - c * x2[k]!) ** 2, 0);
    if (sse < best.sse) best = { maxMeanGroups: 1 + a / (2 * mean), scale, rateNoiseCv2: c, sse };
  }
  return { maxMeanGroups: best.maxMeanGroups, scale: best.scale, rateNoiseCv2: best.rateNoiseCv2 };
}

/** Weighted least squares y ≈ a·x1 + c·x2 with a, c >= 0 (two unknowns: try the faces). */
function nonNegativeLeastSquares2(x1: number[], x2: number[], y: number[], w: number[]): [number, number] {
  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  let s1y = 0;
  let s2y = 0;
  for (let k = 0; k < y.length; k++) {
    s11 += w[k]! * x1[k]! * x1[k]!;
    s12 += w[k]! * x1[k]! * x2[k]!;
    s22 += w[k]! * x2[k]! * x2[k]!;
    s1y += w[k]! * x1[k]! * y[k]!;
    s2y += w[k]! * x2[k]! * y[k]!;
  }
  const det = s11 * s22 - s12 * s12;
  if (det > 0) {
    const a = (s1y * s22 - s2y * s12) / det;
    const c = (s2y * s11 - s1y * s12) / det;
    if (a >= 0 && c >= 0) return [a, c];
  }
  const sse = (a: number, c: number): number => y.reduce((s, v, k) => s + w[k]! * (v - a * x1[k]! - c * x2[k]!) ** 2, 0);
  const onlyA: [number, number] = [s11 > 0 ? Math.max(0, s1y / s11) : 0, 0];
  const onlyC: [number, number] = [0, s22 > 0 ? Math.max(0, s2y / s22) : 0];
  return sse(...onlyA) <= sse(...onlyC) ? onlyA : onlyC;
}
