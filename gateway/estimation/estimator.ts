/**
 * What an estimator is: from a stop event and the trip so far, the load on departure with an
 * uncertainty. The running sum is the baseline and the fallback of every other estimator.
 */
import type { StopEvent } from '../counting/stop-event.js';
import { MODEL_VERSION_NO_MODEL } from '../../contracts/model-metadata.js';
import type { SourceEvent } from '../../contracts/source-events.js';

export interface LoadEstimate {
  load: number;
  /** One standard deviation, passengers. */
  sigma: number;
  source: 'model' | 'running-sum' | 'camera';
  /** A sensor was faulted or the model could not run. */
  lowConfidence: boolean;
}

export interface LoadEstimator {
  readonly name: string;
  /**
   * What the health frame reports as model_version (contracts/model-metadata.ts): the loaded
   * model's version as a number, MODEL_VERSION_NO_MODEL for the running sum without a model.
   */
  readonly modelVersion?: number;
  /** Called once per stop event, in order; estimators keep their own trip state. */
  next(stop: StopEvent): LoadEstimate | Promise<LoadEstimate>;
  /** Sees every source event (e.g. radio sightings for a feature); optional. */
  observe?(event: SourceEvent): void;
  /** Where to keep what the estimator learns about this vehicle across restarts; restores from it at once. */
  persistTo?(store: EstimatorStateStore): void;
  /** What it has learned and which estimate it uses, for the health frame. */
  status?(): EstimatorStatus;
}

/** A small persistent slot for the estimator's learned state (the outbox database on the vehicle). */
export interface EstimatorStateStore {
  load(): unknown;
  save(state: unknown): void;
}

export interface EstimatorStatus {
  /** model: the model's estimates; guard-fallback: the model runs but the guard chose the running sum; running-sum: no model. */
  mode: 'model' | 'guard-fallback' | 'running-sum';
  /** Whole trips the self-calibration has learned from, and its estimates (1: no correction). */
  calibrationTrips: number;
  inOutRatio: number;
  cameraScale: number;
  /** The door whose ins and outs disagree most, with its outs per in; door 0 when unknown. */
  worstDoor: number;
  worstDoorRatio: number;
  /** The factor on the model's load learned for this vehicle (model-scale.ts; 1: no correction). Logged, not in the health frame. */
  modelScale: number;
  /** Mean absolute trip-end residuals (passengers) of the model and the running sum over recent trips. */
  guardModelError: number;
  guardSumError: number;
}

export interface VehicleCapacity {
  seats: number;
  capacity: number;
}

/** Bounds every estimate: never negative, never beyond twice the design capacity. */
export function clampLoad(load: number, capacity: number): number {
  if (!Number.isFinite(load)) return 0;
  return Math.min(2 * capacity, Math.max(0, Math.round(load)));
}

/** Running sum of ins minus outs since the trip started, reset at the terminus. */
export class RunningSumEstimator implements LoadEstimator {
  readonly name = 'running-sum';
  /** No model: the health frame says so (1), not "not reported" (0). */
  readonly modelVersion = MODEL_VERSION_NO_MODEL;
  private load = 0;
  private stopsSinceReset = 0;

  constructor(private readonly vehicle: VehicleCapacity) {}

  status(): EstimatorStatus {
    return { mode: 'running-sum', calibrationTrips: 0, inOutRatio: 1, cameraScale: 1, worstDoor: 0, worstDoorRatio: 1, modelScale: 1, guardModelError: 0, guardSumError: 0 };
  }

  get current(): number {
    return this.load;
  }

  next(stop: StopEvent): LoadEstimate {
    if (stop.terminus) {
      this.load = 0;
      this.stopsSinceReset = 0;
      this.load = clampLoad(stop.boardings, this.vehicle.capacity);
    } else {
      this.load = clampLoad(this.load + stop.boardings - stop.alightings, this.vehicle.capacity);
    }
    this.stopsSinceReset++;
    const doorFault = stop.faults.includes('beam') || stop.faults.includes('door-board') || stop.faults.includes('door-contact');
    // Drift grows with every stop since the last reset (misses stay in the sum).
    const sigma = 1 + 0.02 * Math.sqrt(this.stopsSinceReset) * Math.max(10, this.load);
    return { load: this.load, sigma, source: 'running-sum', lowConfidence: doorFault };
  }
}
