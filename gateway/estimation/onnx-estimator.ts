/**
 * The model estimator: features at each departure, the ONNX model's load and uncertainty, and the
 * running sum kept beside it as the fallback whenever the model cannot run. Never reports a negative
 * load or one beyond twice the design capacity; confidence is low when a sensor was faulted or the
 * model is unsure.
 */
import { moduleLogger } from '../../common/log.js';
import type { StopEvent } from '../counting/stop-event.js';
import type { SourceEvent } from '../../contracts/source-events.js';
import { clampLoad, RunningSumEstimator, type LoadEstimate, type LoadEstimator } from './estimator.js';
import { FeatureBuilder } from './features.js';
import type { LevelThresholds } from '../../contracts/occupancy-levels.js';
import type { OnnxLoadModel } from './onnx-model.js';

const log = moduleLogger('estimation.model');

export interface ModelVehicle {
  capacity: number;
  seats: number;
  levels: LevelThresholds;
  timeZone: string;
}

/** Uncertainty (one sd) beyond this share of capacity counts as low confidence. */
const UNSURE_SHARE = 0.05;

export class OnnxEstimator implements LoadEstimator {
  readonly name = 'model';
  private readonly features: FeatureBuilder;
  private readonly fallback: RunningSumEstimator;
  private readonly levels: Float32Array;
  readonly counters = { runs: 0, fallbacks: 0 };

  constructor(
    private readonly model: OnnxLoadModel,
    private readonly vehicle: ModelVehicle,
  ) {
    this.features = new FeatureBuilder(vehicle);
    this.fallback = new RunningSumEstimator(vehicle);
    this.levels = Float32Array.from([vehicle.levels.medium, vehicle.levels.high]);
  }

  observe(event: SourceEvent): void {
    if (event.type === 'radio') this.features.onRadioSighting(event.pseudonym);
  }

  async next(stop: StopEvent): Promise<LoadEstimate> {
    const row = this.features.next(stop);
    const baseline = this.fallback.next(stop);
    const faulted = stop.faults.length > 0;
    try {
      const out = await this.model.predict(row.features, this.levels);
      const load = out.load[0]!;
      const sigma = out.uncertainty[0]!;
      if (!Number.isFinite(load) || !Number.isFinite(sigma)) throw new Error('the model returned no number');
      this.counters.runs++;
      return { load: clampLoad(load, this.vehicle.capacity), sigma, source: 'model', lowConfidence: faulted || sigma > UNSURE_SHARE * this.vehicle.capacity };
    } catch (error) {
      this.counters.fallbacks++;
      log.warn({ error: (error as Error).message }, 'model failed; running sum used for this departure');
      return { ...baseline, lowConfidence: true };
    }
  }
}

/** The model estimator when there is a model, the running-sum baseline when there is none. */
export function estimatorFor(model: OnnxLoadModel | undefined, vehicle: ModelVehicle): LoadEstimator {
  return model ? new OnnxEstimator(model, vehicle) : new RunningSumEstimator(vehicle);
}
