/**
 * The model estimator: features at each departure, the ONNX model's load and uncertainty, and the
 * running sum kept beside it as the fallback whenever the model cannot run, and whenever the guard
 * finds the model doing worse than the running sum on this vehicle's own trip ends. The model's
 * load is corrected by this vehicle's model scale (model-scale.ts: the camera against the model at
 * quiet moments) before the guard judges it. The vehicle's self-calibration, model scale and guard
 * persist across restarts when given a store. Never reports a
 * negative load or one beyond twice the design capacity; confidence is low when a sensor was
 * faulted or the model is unsure.
 */
import { moduleLogger } from '../../common/log.js';
import type { StopEvent } from '../counting/stop-event.js';
import { MODEL_VERSION_NOT_REPORTED, modelVersionCode } from '../../contracts/model-metadata.js';
import type { SourceEvent } from '../../contracts/source-events.js';
import { clampLoad, RunningSumEstimator, type EstimatorStateStore, type EstimatorStatus, type LoadEstimate, type LoadEstimator } from './estimator.js';
import { FeatureBuilder } from './features.js';
import type { LevelThresholds } from '../../contracts/occupancy-levels.js';
import { ModelGuard, tripEndReference } from './model-guard.js';
import { ModelScale } from './model-scale.js';
import type { OnnxLoadModel } from './onnx-model.js';
import { SelfCalibration } from './self-calibration.js';

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
  /** The loaded model's version for the health frame (0 when its metadata gives none that fits). */
  readonly modelVersion: number;
  private features: FeatureBuilder;
  private readonly fallback: RunningSumEstimator;
  private readonly levels: Float32Array;
  private guard = new ModelGuard();
  private scale = new ModelScale();
  /** The scale factor last written to the log (it is logged when it moves by half a percent). */
  private loggedFactor = 1;
  private store: EstimatorStateStore | undefined;
  /** The model's and the running sum's loads at the last departure (the arrival load at the next stop). */
  private last: { model: number; runningSum: number } | undefined;
  readonly counters = { runs: 0, fallbacks: 0, guarded: 0 };

  constructor(
    private readonly model: OnnxLoadModel,
    private readonly vehicle: ModelVehicle,
  ) {
    this.features = new FeatureBuilder(vehicle);
    this.fallback = new RunningSumEstimator(vehicle);
    this.levels = Float32Array.from([vehicle.levels.medium, vehicle.levels.high]);
    const version = (model as Partial<Pick<OnnxLoadModel, 'version'>>).version;
    this.modelVersion = modelVersionCode(version) ?? MODEL_VERSION_NOT_REPORTED;
    if (this.modelVersion === MODEL_VERSION_NOT_REPORTED) log.warn({ version }, 'the model\'s version is not major.minor.patch (from 1.0.0): health frames say "not reported"');
  }

  /** Restores what this vehicle learned before (a corrupt or foreign state starts afresh) and keeps it there. */
  persistTo(store: EstimatorStateStore): void {
    this.store = store;
    let saved: { calibration?: unknown; guard?: unknown; scale?: unknown } = {};
    try {
      const raw = store.load();
      if (raw && typeof raw === 'object') saved = raw as typeof saved;
    } catch (error) {
      log.warn({ error: (error as Error).message }, 'stored calibration unreadable: starting afresh');
    }
    this.features = new FeatureBuilder(this.vehicle, new SelfCalibration(saved.calibration));
    this.guard = new ModelGuard(saved.guard);
    this.scale = new ModelScale(saved.scale);
    this.loggedFactor = this.scale.factor;
    const cal = this.features.calibration;
    log.info(
      { trips: cal.trips, inOutRatio: cal.inOutRatio, cameraScale: cal.cameraScale, modelScale: this.scale.factor, quietMoments: this.scale.moments, guardFallback: this.guard.fallback },
      'self-calibration restored',
    );
  }

  status(): EstimatorStatus {
    const cal = this.features.calibration;
    const worst = cal.worstDoor();
    const errors = this.guard.errors;
    return {
      mode: this.guard.fallback ? 'guard-fallback' : 'model',
      calibrationTrips: cal.trips,
      inOutRatio: cal.inOutRatio,
      cameraScale: cal.cameraScale,
      worstDoor: worst?.door ?? 0,
      worstDoorRatio: worst?.ratio ?? 1,
      modelScale: this.scale.factor,
      guardModelError: errors.model,
      guardSumError: errors.runningSum,
    };
  }

  observe(event: SourceEvent): void {
    if (event.type === 'radio') this.features.onRadioSighting(event.pseudonym);
  }

  async next(stop: StopEvent): Promise<LoadEstimate> {
    const tripsBefore = this.features.calibration.trips;
    const row = this.features.next(stop);
    const baseline = this.fallback.next(stop);
    if (stop.terminus) this.judgeTripEnd(stop, tripsBefore);
    const faulted = stop.faults.length > 0;
    let estimate: LoadEstimate;
    try {
      const out = await this.model.predict(row.features, this.levels);
      const load = out.load[0]!;
      const sigma = out.uncertainty[0]!;
      if (!Number.isFinite(load) || !Number.isFinite(sigma)) throw new Error('the model returned no number');
      this.counters.runs++;
      const raw = clampLoad(load, this.vehicle.capacity);
      estimate = { load: clampLoad(this.scale.apply(raw), this.vehicle.capacity), sigma, source: 'model', lowConfidence: faulted || sigma > UNSURE_SHARE * this.vehicle.capacity };
      this.learnScale(stop, raw);
    } catch (error) {
      this.counters.fallbacks++;
      log.warn({ error: (error as Error).message }, 'model failed; running sum used for this departure');
      this.last = undefined;
      return { ...baseline, lowConfidence: true };
    }
    this.last = { model: estimate.load, runningSum: baseline.load };
    if (this.guard.fallback) {
      this.counters.guarded++;
      return baseline;
    }
    return estimate;
  }

  /** A quiet departure: the camera's count against the model's uncorrected load (after this departure's estimate). */
  private learnScale(stop: StopEvent, rawLoad: number): void {
    const doorFault = stop.faults.some((f) => f === 'beam' || f === 'door-board' || f === 'door-contact');
    const camera = stop.camera;
    if (stop.terminus || doorFault || stop.faults.includes('camera') || camera?.before === undefined || camera.after === undefined) return;
    if (!this.scale.departure(camera.before, camera.after, rawLoad, this.vehicle.capacity)) return;
    const factor = this.scale.factor;
    if (Math.abs(factor - this.loggedFactor) >= 0.005) {
      log.info({ modelScale: factor, quietMoments: this.scale.moments }, 'model scale for this vehicle changed');
      this.loggedFactor = factor;
    }
  }

  /** At a terminus: how the model and the running sum did on the trip that ended here. */
  private judgeTripEnd(stop: StopEvent, tripsBefore: number): void {
    const cal = this.features.calibration;
    const last = this.last;
    const doorFault = stop.faults.some((f) => f === 'beam' || f === 'door-board' || f === 'door-contact');
    const cameraBefore = stop.faults.includes('camera') ? undefined : stop.camera?.before;
    const reference = tripEndReference({ cameraBefore, alightings: stop.alightings, capacity: this.vehicle.capacity, inOutRatio: cal.inOutRatio, cameraScale: cal.cameraScale, doorFault });
    if (last && reference !== undefined) {
      const change = this.guard.tripEnd(last.model, last.runningSum, reference);
      const errors = this.guard.errors;
      if (change === 'to-running-sum') {
        const excess = this.guard.excess;
        log.warn({ modelError: errors.model, runningSumError: errors.runningSum, excessStandardError: excess.standardError, tripEnds: this.guard.tripEnds }, 'the model does clearly worse than the running sum at this vehicle\'s trip ends: running sum in use');
      }
      else if (change === 'to-model') log.info({ modelError: errors.model, runningSumError: errors.runningSum }, 'the model does as well as the running sum again: model in use');
    }
    if (this.store && (cal.trips !== tripsBefore || last)) this.save();
  }

  private save(): void {
    try {
      this.store?.save({ calibration: this.features.calibration.snapshot(), guard: this.guard.snapshot(), scale: this.scale.snapshot() });
    } catch (error) {
      log.warn({ error: (error as Error).message }, 'could not keep the self-calibration');
    }
  }
}

/** The model estimator when there is a model, the running-sum baseline when there is none. */
export function estimatorFor(model: OnnxLoadModel | undefined, vehicle: ModelVehicle): LoadEstimator {
  return model ? new OnnxEstimator(model, vehicle) : new RunningSumEstimator(vehicle);
}
