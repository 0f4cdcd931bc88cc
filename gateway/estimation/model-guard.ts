/**
 * The guard between the model and the running sum: at every trip end the vehicle learns what the
 * load on arrival at the terminus really was (the saloon empties there), and compares how far the
 * model's and the running sum's estimates for that arrival were from it. When the model does worse
 * than the running sum on this vehicle's recent trip ends, the running sum is used until the model
 * does at least as well again. A model trained on a simulator may meet counters it has never seen;
 * this keeps the gateway never worse than its baseline for long.
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
/** No tram holds more: a residual beyond it is a broken count. */
const MAX_RESIDUAL = 1000;

export interface GuardState {
  version: 1;
  tripEnds: number;
  /** Decayed weight and decayed sums of absolute residuals. */
  weight: number;
  modelError: number;
  sumError: number;
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
  return { version: 1, tripEnds: 0, weight: 0, modelError: 0, sumError: 0, fallback: false };
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
    s.modelError = s.modelError * DECAY + Math.min(MAX_RESIDUAL, Math.abs(model - reference));
    s.sumError = s.sumError * DECAY + Math.min(MAX_RESIDUAL, Math.abs(runningSum - reference));
    if (s.tripEnds < GUARD_MIN_TRIP_ENDS) return undefined;
    const e = this.errors;
    if (!s.fallback && e.model > e.runningSum + GUARD_MARGIN) {
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
