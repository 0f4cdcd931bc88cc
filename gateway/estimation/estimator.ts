/**
 * What an estimator is: from a stop event and the trip so far, the load on departure with an
 * uncertainty. The running sum is the baseline and the fallback of every other estimator.
 */
import type { StopEvent } from '../counting/stop-event.js';
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
  /** Called once per stop event, in order; estimators keep their own trip state. */
  next(stop: StopEvent): LoadEstimate | Promise<LoadEstimate>;
  /** Sees every source event (e.g. radio sightings for a feature); optional. */
  observe?(event: SourceEvent): void;
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
  private load = 0;
  private stopsSinceReset = 0;

  constructor(private readonly vehicle: VehicleCapacity) {}

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
