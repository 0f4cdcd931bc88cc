/**
 * Scores the load model and the baselines on one scenario, against the simulator's ground truth:
 * mean absolute error, bias (a fraction of the mean true load) and accuracy on Halle's three
 * levels. The model runs in onnxruntime exactly as on the vehicle.
 */
import { mean, round } from '../common/stats.js';
import { FEATURE_INDEX, FEATURES } from '../gateway/estimation/features.js';
import { levelFor } from '../contracts/occupancy-levels.js';
import { ModelGuard, tripEndReference, type GuardState } from '../gateway/estimation/model-guard.js';
import { ModelScale, type ModelScaleState } from '../gateway/estimation/model-scale.js';
import type { OnnxLoadModel } from '../gateway/estimation/onnx-model.js';
import { clampLoad } from '../gateway/estimation/estimator.js';
import type { Scenario } from '../simulator/scenario.js';
import { collectSamples, type StopSample } from './data/collect.js';

export interface Metrics {
  mae: number;
  /** MAE as a share of the mean design capacity. */
  maeShareOfCapacity: number;
  bias: number;
  levelAccuracy: number;
}

export interface EvaluationReport {
  scenario: string;
  stopEvents: number;
  capacity: number;
  model: Metrics & { version: string };
  /** The model corrected by each vehicle's model scale (gateway/estimation/model-scale.ts), without the guard. */
  modelScaled: Metrics;
  /**
   * The model as the gateway runs it: corrected by the vehicle's model scale, and the guard hands
   * departures to the running sum where that did worse at trip ends.
   */
  modelGuarded: Metrics & { fallbackShare: number; vsRunningSum: MaeDifference };
  baselines: { runningSum: Metrics; cameraOnly: Metrics };
  /** The door sum corrected by the self-calibration alone (no model). */
  calibratedSum: Metrics;
}

/** One estimator's MAE minus another's on the same departures, with its standard error. */
export interface MaeDifference {
  /** Passengers: positive when the first estimator is worse. */
  difference: number;
  /**
   * Standard error of the difference, clustered by vehicle-day (`scenario/vehicle`): departures of
   * one vehicle on one day share its counters, its calibration and its guard, so they are not
   * independent evidence. 0 with fewer than two vehicle-days.
   */
  standardError: number;
  vehicleDays: number;
}

/**
 * Whether estimator `a` is worse than `b` in MAE beyond noise: the paired difference of absolute
 * errors per departure, its mean, and a cluster-robust standard error over vehicle-days.
 */
export function maeDifference(samples: readonly StopSample[], a: ArrayLike<number>, b: ArrayLike<number>): MaeDifference {
  const n = samples.length;
  if (n === 0) return { difference: 0, standardError: 0, vehicleDays: 0 };
  const d = samples.map((s, i) => Math.abs(a[i]! - s.truth) - Math.abs(b[i]! - s.truth));
  const difference = mean(d);
  const clusters = new Map<string, number>();
  samples.forEach((s, i) => {
    const key = guardKey(s);
    clusters.set(key, (clusters.get(key) ?? 0) + d[i]! - difference);
  });
  const k = clusters.size;
  let sum = 0;
  for (const c of clusters.values()) sum += c * c;
  const standardError = k > 1 ? Math.sqrt((sum * k) / (k - 1)) / n : 0;
  return { difference: round(difference, 4), standardError: round(standardError, 4), vehicleDays: k };
}

/** A paired MAE difference as "+0.03 ± 0.08" (± one standard error), for tables and summaries. */
export function formatMaeDifference(v: MaeDifference): string {
  return `${v.difference >= 0 ? '+' : '−'}${Math.abs(v.difference).toFixed(2)} ± ${v.standardError.toFixed(2)}`;
}

export function metrics(samples: readonly StopSample[], estimates: ArrayLike<number>): Metrics {
  const errors = samples.map((s, i) => estimates[i]! - s.truth);
  const meanTrue = mean(samples.map((s) => s.truth));
  const capacity = mean(samples.map((s) => s.capacity));
  const mae = mean(errors.map(Math.abs));
  const hits = samples.filter((s, i) => levelFor(estimates[i]!, s.levels) === levelFor(s.truth, s.levels)).length;
  return {
    mae: round(mae, 3),
    maeShareOfCapacity: round(mae / capacity, 4),
    bias: round(meanTrue > 0 ? mean(errors) / meanTrue : 0, 4),
    levelAccuracy: round(hits / samples.length, 4),
  };
}

/** Model loads for samples, in batches, clamped as the gateway clamps them. */
export async function modelEstimates(model: OnnxLoadModel, samples: readonly StopSample[], batch = 4096): Promise<Float64Array> {
  const F = FEATURES.length;
  const out = new Float64Array(samples.length);
  for (let start = 0; start < samples.length; start += batch) {
    const rows = samples.slice(start, start + batch);
    const features = new Float32Array(rows.length * F);
    const levels = new Float32Array(rows.length * 2);
    rows.forEach((s, i) => {
      features.set(s.features, i * F);
      levels[2 * i] = s.levels.medium;
      levels[2 * i + 1] = s.levels.high;
    });
    const result = await model.predict(features, levels);
    rows.forEach((s, i) => (out[start + i] = clampLoad(result.load[i]!, s.capacity)));
  }
  return out;
}

/**
 * The estimates the gateway would have reported (gateway/estimation/onnx-estimator.ts): replayed
 * per vehicle, in order, from the features and the model's loads, each load corrected by the
 * vehicle's model scale (learned at quiet moments), then the guard (gateway/estimation/model-guard.ts)
 * with the same reference and rule. Returns them, the scaled loads without the guard, and the share
 * of departures the running sum took.
 *
 * `state.initial` is what each vehicle's guard and model scale knew before (keyed `scenario/vehicle`,
 * as the gateway restores them from its outbox database); `state.final` is filled with what they
 * know after.
 */
export function guardedEstimates(
  samples: readonly StopSample[],
  modelLoads: ArrayLike<number>,
  state: VehicleStates = {},
): { estimates: Float64Array; scaled: Float64Array; fallbackShare: number } {
  const out = new Float64Array(samples.length);
  const scaled = new Float64Array(samples.length);
  const vehicles = new Map<string, { guard: ModelGuard; scale: ModelScale; last?: { model: number; runningSum: number } }>();
  let fallbacks = 0;
  samples.forEach((s, i) => {
    const key = guardKey(s);
    let v = vehicles.get(key);
    if (!v) {
      const before = state.initial?.get(key);
      vehicles.set(key, (v = { guard: new ModelGuard(before?.guard), scale: new ModelScale(before?.scale) }));
    }
    const f = (name: keyof typeof FEATURE_INDEX) => s.features[FEATURE_INDEX[name]]!;
    const cameraFault = f('camera_fault') === 1;
    const doorFault = f('door_fault') === 1;
    if (f('terminus') === 1 && v.last) {
      const cameraBefore = f('camera_before') >= 0 && !cameraFault ? Math.round(f('camera_before') * s.capacity) : undefined;
      const reference = tripEndReference({
        cameraBefore,
        alightings: Math.round(f('alightings') * s.capacity),
        capacity: s.capacity,
        inOutRatio: 1 + f('cal_in_out'),
        cameraScale: 1 + f('cal_camera_scale'),
        doorFault,
      });
      if (reference !== undefined) v.guard.tripEnd(v.last.model, v.last.runningSum, reference);
    }
    const raw = modelLoads[i]!;
    const model = clampLoad(v.scale.apply(raw), s.capacity);
    scaled[i] = model;
    // Learned after this departure's estimate, as on the vehicle.
    if (f('terminus') === 0 && !cameraFault && !doorFault && f('camera_before') >= 0 && s.cameraAfter !== undefined) {
      v.scale.departure(f('camera_before') * s.capacity, s.cameraAfter, raw, s.capacity);
    }
    v.last = { model, runningSum: s.runningSum };
    if (v.guard.fallback) fallbacks++;
    out[i] = v.guard.fallback ? s.runningSum : model;
  });
  for (const [key, v] of vehicles) state.final?.set(key, { guard: v.guard.snapshot(), scale: v.scale.snapshot() });
  return { estimates: out, scaled, fallbackShare: samples.length ? fallbacks / samples.length : 0 };
}

/** What the gateway keeps per vehicle across days besides the self-calibration: the guard and the model scale. */
export interface VehicleState {
  guard?: GuardState;
  scale?: ModelScaleState;
}

/** Per vehicle (`scenario/vehicle`), the state before and after a replay. */
export interface VehicleStates {
  initial?: ReadonlyMap<string, VehicleState>;
  final?: Map<string, VehicleState>;
}

export const guardKey = (s: Pick<StopSample, 'scenario' | 'vehicleId'>): string => `${s.scenario}/${s.vehicleId}`;

/** Every estimator's metrics on one set of samples, given the model's loads for them (and the vehicles' guard and model scale before, if any). */
export function scoreSamples(
  samples: readonly StopSample[],
  modelLoads: ArrayLike<number>,
  vehicles: VehicleStates = {},
): Omit<EvaluationReport, 'scenario' | 'stopEvents' | 'capacity' | 'model'> & { model: Metrics } {
  const guarded = guardedEstimates(samples, modelLoads, vehicles);
  const runningSum = samples.map((s) => s.runningSum);
  return {
    model: metrics(samples, modelLoads),
    modelScaled: metrics(samples, guarded.scaled),
    modelGuarded: { ...metrics(samples, guarded.estimates), fallbackShare: round(guarded.fallbackShare, 4), vsRunningSum: maeDifference(samples, guarded.estimates, runningSum) },
    baselines: {
      runningSum: metrics(samples, runningSum),
      // The camera's count where it has one; the running sum where it has none (offline, faulted).
      cameraOnly: metrics(samples, samples.map((s) => s.cameraAfter ?? s.runningSum)),
    },
    calibratedSum: metrics(samples, samples.map((s) => s.calibratedSum)),
  };
}

export async function evaluateScenario(scenario: Scenario, model: OnnxLoadModel, onProgress?: (done: number, samples: number) => void): Promise<EvaluationReport> {
  const samples = await collectSamples(scenario, onProgress ? { onProgress } : {});
  if (samples.length === 0) throw new Error(`scenario ${scenario.name} produced no stop events`);
  const estimates = await modelEstimates(model, samples);
  const scores = scoreSamples(samples, estimates);
  return {
    scenario: scenario.name,
    stopEvents: samples.length,
    capacity: round(mean(samples.map((s) => s.capacity)), 1),
    ...scores,
    model: { ...scores.model, version: model.version },
  };
}
