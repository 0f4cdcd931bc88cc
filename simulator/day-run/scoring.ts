/**
 * Scores a bench run against the simulator's ground truth: load error and level accuracy of what
 * the backend received, delivery (generated, delivered, duplicates, lost, latency), airtime, frame
 * sizes, and VDV 457-style count errors of the raw door counts.
 */
import { mean, quantile, round, sum } from '../../common/stats.js';
import { levelFor, type LevelThresholds } from '../../contracts/occupancy-levels.js';
import type { TruthStop } from '../world/vehicle-runner.js';

export interface ScoredStop {
  truth: TruthStop;
  estimate: number;
  levels: LevelThresholds;
  capacity: number;
}

export interface OccupancyScore {
  n: number;
  mae: number;
  /** Mean signed error as a fraction of the mean true load. */
  bias: number;
  levelAccuracy: number;
}

export function scoreOccupancy(stops: readonly ScoredStop[]): OccupancyScore {
  if (stops.length === 0) return { n: 0, mae: NaN, bias: NaN, levelAccuracy: NaN };
  const errors = stops.map((s) => s.estimate - s.truth.loadAfter);
  const meanTrue = mean(stops.map((s) => s.truth.loadAfter));
  const levelHits = stops.filter((s) => levelFor(s.estimate, s.levels) === levelFor(s.truth.loadAfter, s.levels)).length;
  return {
    n: stops.length,
    mae: round(mean(errors.map(Math.abs)), 3),
    bias: round(meanTrue > 0 ? mean(errors) / meanTrue : 0, 4),
    levelAccuracy: round(levelHits / stops.length, 4),
  };
}

export interface CountErrors {
  /** (Σ counted in+out − Σ true in+out) / Σ true in+out. */
  passengerError: number;
  boardingError: number;
  alightingError: number;
  /** Σ |per-stop error in+out| / Σ true in+out. */
  unbalancedError: number;
}

/** VDV 457-style errors of raw door counts against the truth, over stop × vehicle events. */
export function countErrors(stops: readonly TruthStop[]): CountErrors {
  const trueIn = sum(stops.map((s) => s.boardings));
  const trueOut = sum(stops.map((s) => s.alightings));
  const countedIn = sum(stops.map((s) => s.countedIn));
  const countedOut = sum(stops.map((s) => s.countedOut));
  const unbalanced = sum(stops.map((s) => Math.abs(s.countedIn - s.boardings) + Math.abs(s.countedOut - s.alightings)));
  const total = trueIn + trueOut;
  return {
    passengerError: round(total > 0 ? (countedIn + countedOut - total) / total : 0, 4),
    boardingError: round(trueIn > 0 ? (countedIn - trueIn) / trueIn : 0, 4),
    alightingError: round(trueOut > 0 ? (countedOut - trueOut) / trueOut : 0, 4),
    unbalancedError: round(total > 0 ? unbalanced / total : 0, 4),
  };
}

export function p95Seconds(latenciesMs: readonly number[]): number {
  return latenciesMs.length === 0 ? NaN : round(quantile(latenciesMs, 0.95) / 1000, 1);
}
