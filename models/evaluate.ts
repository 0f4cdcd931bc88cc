/**
 * Scores the load model and the baselines on one scenario, against the simulator's ground truth:
 * mean absolute error, bias (a fraction of the mean true load) and accuracy on Halle's three
 * levels. The model runs in onnxruntime exactly as on the vehicle.
 */
import { mean, round } from '../common/stats.js';
import { FEATURE_INDEX, FEATURES } from '../gateway/estimation/features.js';
import { levelFor } from '../contracts/occupancy-levels.js';
import { ModelGuard, tripEndReference, type GuardState } from '../gateway/estimation/model-guard.js';
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
  /** The model as the gateway runs it: the guard hands departures to the running sum where the model did worse at trip ends. */
  modelGuarded: Metrics & { fallbackShare: number };
  baselines: { runningSum: Metrics; cameraOnly: Metrics };
  /** The door sum corrected by the self-calibration alone (no model). */
  calibratedSum: Metrics;
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
 * The estimates the gateway would have reported with the guard (gateway/estimation/model-guard.ts)
 * in front of the model: replayed per vehicle, in order, from the features and the model's loads,
 * with the same reference and rule as OnnxEstimator. Returns them and the share of departures the
 * running sum took.
 *
 * `state.initial` is what each vehicle's guard knew before (keyed `scenario/vehicle`, as the
 * gateway restores it from its outbox database); `state.final` is filled with what it knows after.
 */
export function guardedEstimates(
  samples: readonly StopSample[],
  modelLoads: ArrayLike<number>,
  state: GuardStates = {},
): { estimates: Float64Array; fallbackShare: number } {
  const out = new Float64Array(samples.length);
  const guards = new Map<string, { guard: ModelGuard; last?: { model: number; runningSum: number } }>();
  let fallbacks = 0;
  samples.forEach((s, i) => {
    const key = guardKey(s);
    let v = guards.get(key);
    if (!v) guards.set(key, (v = { guard: new ModelGuard(state.initial?.get(key)) }));
    const f = (name: keyof typeof FEATURE_INDEX) => s.features[FEATURE_INDEX[name]]!;
    if (f('terminus') === 1 && v.last) {
      const cameraBefore = f('camera_before') >= 0 && f('camera_fault') === 0 ? Math.round(f('camera_before') * s.capacity) : undefined;
      const reference = tripEndReference({
        cameraBefore,
        alightings: Math.round(f('alightings') * s.capacity),
        capacity: s.capacity,
        inOutRatio: 1 + f('cal_in_out'),
        cameraScale: 1 + f('cal_camera_scale'),
        doorFault: f('door_fault') === 1,
      });
      if (reference !== undefined) v.guard.tripEnd(v.last.model, v.last.runningSum, reference);
    }
    v.last = { model: modelLoads[i]!, runningSum: s.runningSum };
    if (v.guard.fallback) fallbacks++;
    out[i] = v.guard.fallback ? s.runningSum : modelLoads[i]!;
  });
  for (const [key, v] of guards) state.final?.set(key, v.guard.snapshot());
  return { estimates: out, fallbackShare: samples.length ? fallbacks / samples.length : 0 };
}

/** Per vehicle (`scenario/vehicle`), the guard's state before and after a replay. */
export interface GuardStates {
  initial?: ReadonlyMap<string, GuardState>;
  final?: Map<string, GuardState>;
}

export const guardKey = (s: Pick<StopSample, 'scenario' | 'vehicleId'>): string => `${s.scenario}/${s.vehicleId}`;

/** Every estimator's metrics on one set of samples, given the model's loads for them (and the guards' state before, if any). */
export function scoreSamples(
  samples: readonly StopSample[],
  modelLoads: ArrayLike<number>,
  guards: GuardStates = {},
): Omit<EvaluationReport, 'scenario' | 'stopEvents' | 'capacity' | 'model'> & { model: Metrics } {
  const guarded = guardedEstimates(samples, modelLoads, guards);
  return {
    model: metrics(samples, modelLoads),
    modelGuarded: { ...metrics(samples, guarded.estimates), fallbackShare: round(guarded.fallbackShare, 4) },
    baselines: {
      runningSum: metrics(samples, samples.map((s) => s.runningSum)),
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
