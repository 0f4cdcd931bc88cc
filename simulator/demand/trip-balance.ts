/**
 * Makes a replay trip's counts consistent enough to serve as ground truth: the load never goes
 * negative, nobody boards at the last stop, and everyone still on board alights there. Counted
 * data rarely balance (the Geneva week has 3.5% more boardings than alightings, and 5% of trips
 * dip below zero), and a simulated tram cannot carry minus two passengers. Boardings, which the
 * demand calibration relies on, are only changed at the last stop. Must never mutate its input.
 */
import type { ReplayStop, ReplayTrip } from './replay-trip.js';

/**
 * - `clamp`: alightings are cut to the load on arrival, the last stop takes everyone left. The
 *   smallest change that makes the trip consistent.
 * - `proportional`: first scales the alightings (all but the first stop) so that they sum to the
 *   boardings, as operators balance a trip, then clamps what is still inconsistent.
 */
export type BalanceMethod = 'clamp' | 'proportional';

export interface BalanceResult {
  trip: ReplayTrip;
  /** True when any count differs from the input. */
  changed: boolean;
  /** Alightings removed (clamped or scaled down) and added (scaled up, or at the last stop). */
  alightingsRemoved: number;
  alightingsAdded: number;
  boardingsRemoved: number;
}

/** Load on board after each stop, by the counts alone (may be negative for raw data). */
export function runningLoads(stops: readonly Pick<ReplayStop, 'boardings' | 'alightings'>[]): number[] {
  let load = 0;
  return stops.map((s) => (load += s.boardings - s.alightings));
}

/** Integers proportional to `values`, summing to exactly `total` (largest remainder). */
export function scaleToTotal(values: readonly number[], total: number): number[] {
  const sum = values.reduce((a, b) => a + b, 0);
  if (sum <= 0 || total <= 0) return values.map(() => 0);
  const exact = values.map((v) => (v * total) / sum);
  const out = exact.map(Math.floor);
  let rest = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((v, i) => [v - Math.floor(v), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    out[i]!++;
    rest--;
  }
  return out;
}

export function balanceTrip(trip: ReplayTrip, method: BalanceMethod = 'clamp'): BalanceResult {
  const n = trip.stops.length;
  const boardings = trip.stops.map((s, i) => (i === n - 1 ? 0 : s.boardings));
  let alightings = trip.stops.map((s) => s.alightings);
  if (method === 'proportional' && n > 1) {
    const totalOn = boardings.reduce((a, b) => a + b, 0);
    alightings = [0, ...scaleToTotal(alightings.slice(1), totalOn)];
  }
  let load = 0;
  const stops = trip.stops.map((s, i) => {
    const a = i === n - 1 ? load : Math.min(alightings[i]!, load);
    load = load - a + boardings[i]!;
    return { ...s, boardings: boardings[i]!, alightings: a };
  });
  let removed = 0;
  let added = 0;
  let boardingsRemoved = 0;
  trip.stops.forEach((s, i) => {
    const d = stops[i]!.alightings - s.alightings;
    if (d > 0) added += d;
    else removed -= d;
    boardingsRemoved += s.boardings - stops[i]!.boardings;
  });
  const changed = removed > 0 || added > 0 || boardingsRemoved > 0;
  const flags = changed && !trip.flags.includes('balanced') ? [...trip.flags, 'balanced' as const] : trip.flags;
  return { trip: { ...trip, stops, flags }, changed, alightingsRemoved: removed, alightingsAdded: added, boardingsRemoved };
}
