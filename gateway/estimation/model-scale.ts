/**
 * The vehicle's correction of the model's output: how far the model's loads are from the camera's
 * count at quiet moments, learned online, as a factor on every load the model gives.
 *
 * The model was trained on a simulator's counters. Where a vehicle's doors miss more (or fewer)
 * people than the model makes up for, it under- (or over-) estimates by a share of the load that
 * stays much the same from empty to crowded, day after day. A camera counts a sparse saloon
 * without that error (heads merge only in crowds), so at the same quiet moments the
 * self-calibration uses (the camera saw 4 heads to 15 % of capacity on arrival; its count after
 * departure is a separate count), the camera's heads per passenger the model estimated is that share.
 *
 * One camera count is noisy (a poor camera's noise sd is 3 heads and more), and a noisy factor
 * costs more than a small bias: the factor is a decayed ratio of sums with a prior of "no
 * correction", shrunk towards 1 by its own standard error (a correction no larger than its
 * uncertainty is not applied), and bounded. It follows the vehicle over some days, not within one
 * (about the last 500 quiet moments; a vehicle sees 25 to 160 a day). The state is a small plain
 * object the gateway keeps in its outbox database with the self-calibration and the guard.
 */
import { QUIET_MIN_HEADS, QUIET_SHARE } from './self-calibration.js';

/** Decay per quiet moment: about the last 500 count (a vehicle sees 25 to 160 a day). */
const DECAY = 0.998;
/** Prior weight (passengers) of "the model and the camera agree". */
const PRIOR = 100;
/** A correction is shrunk by (SHRINK x its variance) / its square: not applied unless clearly larger than its standard error. */
const SHRINK = 2;
export const MODEL_SCALE_BOUNDS = [0.9, 1.1] as const;
/** Counts beyond this share of capacity are crowd counts, not quiet ones (the camera undercounts from about 30 %). */
const QUIET_CAP_SHARE = 0.3;
/** Moments needed before any correction. */
const MIN_MOMENTS = 10;

export interface ModelScaleState {
  version: 1;
  /** Quiet moments seen (capped). */
  moments: number;
  /** Decayed count of quiet moments, decayed sums of camera heads, model loads and squared differences. */
  weight: number;
  camera: number;
  model: number;
  squares: number;
}

function fresh(): ModelScaleState {
  return { version: 1, moments: 0, weight: 0, camera: 0, model: 0, squares: 0 };
}

const finiteNonNegative = (v: unknown, max: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.min(v, max) : 0);

export class ModelScale {
  private state: ModelScaleState;

  constructor(state?: unknown) {
    this.state = ModelScale.sanitise(state);
  }

  /** A stored state as it may come back from disk: anything malformed starts fresh, anything out of range is bounded. */
  static sanitise(raw: unknown): ModelScaleState {
    if (!raw || typeof raw !== 'object' || (raw as { version?: unknown }).version !== 1) return fresh();
    const r = raw as Partial<Record<keyof ModelScaleState, unknown>>;
    const weight = finiteNonNegative(r.weight, 1 / (1 - DECAY));
    // No tram holds 1000 passengers in a quiet moment: sums beyond that per unit weight are corrupt.
    const per = (v: unknown, max: number) => Math.min(finiteNonNegative(v, 1e9), max * weight);
    return {
      version: 1,
      moments: Math.floor(finiteNonNegative(r.moments, 1e6)),
      weight,
      camera: per(r.camera, 1000),
      model: per(r.model, 1000),
      squares: per(r.squares, 1e6),
    };
  }

  snapshot(): ModelScaleState {
    return { ...this.state };
  }

  get moments(): number {
    return this.state.moments;
  }

  /** The factor on the model's load (1: no correction), shrunk by its uncertainty and bounded. */
  get factor(): number {
    const s = this.state;
    if (s.moments < MIN_MOMENTS || s.weight <= 1) return 1;
    const ratio = (s.camera + PRIOR) / (s.model + PRIOR);
    const off = ratio - 1;
    if (off === 0) return 1;
    // Standard error of the ratio: the spread of camera - model per moment over sqrt(moments), per mean model load.
    const meanDiff = (s.camera - s.model) / s.weight;
    const variance = Math.max(0, s.squares / s.weight - meanDiff * meanDiff);
    const se = (Math.sqrt(variance / s.weight) * s.weight) / (s.model + PRIOR);
    const kept = Math.max(0, 1 - (SHRINK * se * se) / (off * off));
    return Math.min(MODEL_SCALE_BOUNDS[1], Math.max(MODEL_SCALE_BOUNDS[0], 1 + off * kept));
  }

  /** The model's load corrected for this vehicle. */
  apply(load: number): number {
    return load * this.factor;
  }

  /**
   * A departure with the camera's count on arrival (`cameraBefore`) and after departure, and the
   * model's uncorrected load for it; learned from only when the saloon was quiet on arrival.
   */
  departure(cameraBefore: number, cameraAfter: number, modelLoad: number, capacity: number): boolean {
    if (!(capacity > 0) || !(cameraBefore >= QUIET_MIN_HEADS && cameraBefore <= QUIET_SHARE * capacity)) return false;
    if (!Number.isFinite(cameraAfter) || !Number.isFinite(modelLoad) || cameraAfter < 0 || modelLoad < 0) return false;
    const cap = QUIET_CAP_SHARE * capacity;
    const camera = Math.min(cameraAfter, cap);
    const model = Math.min(modelLoad, cap);
    const s = this.state;
    s.moments = Math.min(1e6, s.moments + 1);
    s.weight = s.weight * DECAY + 1;
    s.camera = s.camera * DECAY + camera;
    s.model = s.model * DECAY + model;
    s.squares = s.squares * DECAY + (camera - model) ** 2;
    return true;
  }
}
