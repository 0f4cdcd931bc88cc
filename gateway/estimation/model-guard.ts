/**
 * The guard between the model and the running sum: at every trip end the vehicle learns what the
 * load on arrival at the terminus really was (the saloon empties there), and compares how far the
 * model's and the running sum's estimates for that arrival were from it. When the model does worse
 * than the running sum on this vehicle's recent trip ends, the running sum is used until the model
 * does at least as well again. A model trained on a simulator may meet counters it has never seen;
 * this keeps the gateway never worse than its baseline for long.
 *
 * One trip end is a noisy judge (a poor camera's count on arrival is off by 3 heads and more), so
 * the guard hands over only when the model's excess error over recent trip ends is larger than a
 * margin and clearly larger than its own spread (GUARD_Z standard errors of the paired
 * differences): a handful of unlucky references must not move a vehicle whose model is better off
 * the model. The first guard switched on the margin alone and fell back on 12 to 18 % of a first
 * day's departures where the model was the better estimate (models/MODEL-CARD.md).
 *
 * The reference for the arrival load: the camera's head count on arrival when the saloon was sparse
 * (few heads merge then), otherwise the alightings counted at the terminus corrected by the
 * vehicle's self-calibration (outs balanced to ins, scaled to the camera's quiet-moment count).
 */
import { QUIET_MIN_HEADS, QUIET_SHARE } from './self-calibration.js';

/** Decay per trip end: about the last 10 trip ends count. */
const DECAY = 0.9;
/** Trip ends needed before the guard may switch. */
export const GUARD_MIN_TRIP_ENDS = 5;
/** The model must be worse by this much (passengers, mean absolute) before the guard switches. */
export const GUARD_MARGIN = 0.5;
/** ... and by this many standard errors of its mean excess error. */
export const GUARD_Z = 2;
/** No tram holds more: a residual beyond it is a broken count. */
const MAX_RESIDUAL = 1000;

export interface GuardState {
  version: 1;
  tripEnds: number;
  /** Decayed weight and decayed sums of absolute residuals. */
  weight: number;
  modelError: number;
  sumError: number;
  /**
   * Decayed sum of the squared paired differences (model's absolute residual minus the running
   * sum's) at each trip end, for their spread. A state stored before it was kept has 0 here: until
   * its trip ends fill it, the margin alone decides, as it did then.
   */
  diffSquares: number;
  fallback: boolean;
}

export interface TripEndEvidence {
  /** Camera heads on arrival at the terminus (undefined: none, faulted or offline). */
  cameraBefore: number | undefined;
  /** Alightings counted at the terminus. */
  alightings: number;
  capacity: number;
  /** The self-calibration's in/out ratio and camera scale. */
  inOutRatio: number;
  cameraScale: number;
  /** A door sensor was faulted at the terminus (the alightings are not evidence then). */
  doorFault: boolean;
}

/** The best evidence the vehicle has of its load on arrival at the terminus, or undefined. */
export function tripEndReference(e: TripEndEvidence): number | undefined {
  if (e.cameraBefore !== undefined && e.cameraBefore >= QUIET_MIN_HEADS && e.cameraBefore <= QUIET_SHARE * e.capacity) return e.cameraBefore;
  if (e.doorFault) return undefined;
  return (e.cameraScale * e.alightings) / e.inOutRatio;
}

function fresh(): GuardState {
  return { version: 1, tripEnds: 0, weight: 0, modelError: 0, sumError: 0, diffSquares: 0, fallback: false };
}

export type GuardChange = 'to-running-sum' | 'to-model' | undefined;

export class ModelGuard {
  private state: GuardState;

  constructor(state?: unknown) {
    this.state = ModelGuard.sanitise(state);
  }

  static sanitise(raw: unknown): GuardState {
    if (!raw || typeof raw !== 'object' || (raw as { version?: unknown }).version !== 1) return fresh();
    const r = raw as Partial<Record<keyof GuardState, unknown>>;
    const num = (v: unknown, max: number) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.min(v, max) : 0);
    const weight = num(r.weight, 1 / (1 - DECAY));
    return {
      version: 1,
      tripEnds: Math.floor(num(r.tripEnds, 1e6)),
      weight,
      // A mean error beyond 1000 passengers is no real vehicle's: bounded so a corrupt file cannot pin the choice.
      modelError: Math.min(num(r.modelError, 1e6), 1000 * weight),
      sumError: Math.min(num(r.sumError, 1e6), 1000 * weight),
      diffSquares: Math.min(num(r.diffSquares, 1e12), MAX_RESIDUAL ** 2 * weight),
      fallback: r.fallback === true,
    };
  }

  snapshot(): GuardState {
    return { ...this.state };
  }

  /** The running sum is in use instead of the model. */
  get fallback(): boolean {
    return this.state.fallback;
  }

  get tripEnds(): number {
    return this.state.tripEnds;
  }

  /** Mean absolute trip-end residuals of the model and the running sum over recent trip ends (passengers). */
  get errors(): { model: number; runningSum: number } {
    const w = this.state.weight;
    return w > 0 ? { model: this.state.modelError / w, runningSum: this.state.sumError / w } : { model: 0, runningSum: 0 };
  }

  /**
   * How far the model's mean trip-end error is above the running sum's, and the standard error of
   * that excess (its spread over recent trip ends, taken over their decayed weight).
   */
  get excess(): { mean: number; standardError: number } {
    const s = this.state;
    if (!(s.weight > 0)) return { mean: 0, standardError: 0 };
    const mean = (s.modelError - s.sumError) / s.weight;
    const variance = Math.max(0, s.diffSquares / s.weight - mean * mean);
    return { mean, standardError: Math.sqrt(variance / s.weight) };
  }

  /**
   * A trip ended: the model's and the running sum's estimates of the load on arrival (their
   * estimates at the last departure before the terminus) against the reference. Returns whether
   * the choice changed.
   */
  tripEnd(model: number, runningSum: number, reference: number): GuardChange {
    if (![model, runningSum, reference].every(Number.isFinite)) return undefined;
    const s = this.state;
    s.tripEnds = Math.min(1e6, s.tripEnds + 1);
    s.weight = s.weight * DECAY + 1;
    // One absurd trip end (a corrupt count) weighs at most as much as a residual of MAX_RESIDUAL.
    const modelResidual = Math.min(MAX_RESIDUAL, Math.abs(model - reference));
    const sumResidual = Math.min(MAX_RESIDUAL, Math.abs(runningSum - reference));
    s.modelError = s.modelError * DECAY + modelResidual;
    s.sumError = s.sumError * DECAY + sumResidual;
    s.diffSquares = s.diffSquares * DECAY + (modelResidual - sumResidual) ** 2;
    if (s.tripEnds < GUARD_MIN_TRIP_ENDS) return undefined;
    const e = this.errors;
    const excess = this.excess;
    if (!s.fallback && excess.mean > GUARD_MARGIN && excess.mean > GUARD_Z * excess.standardError) {
      s.fallback = true;
      return 'to-running-sum';
    }
    if (s.fallback && e.model <= e.runningSum) {
      s.fallback = false;
      return 'to-model';
    }
    return undefined;
  }
}
