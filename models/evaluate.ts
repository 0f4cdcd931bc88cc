/**
 * Scores the load model and the baselines on one scenario, against the simulator's ground truth:
 * mean absolute error, bias (a fraction of the mean true load) and accuracy on Halle's three
 * levels. The model runs in onnxruntime exactly as on the vehicle.
 */
import { mean, round } from '../common/stats.js';
import { FEATURES } from '../gateway/estimation/features.js';
import { levelFor } from '../contracts/occupancy-levels.js';
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
  baselines: { runningSum: Metrics; cameraOnly: Metrics };
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

export async function evaluateScenario(scenario: Scenario, model: OnnxLoadModel, onProgress?: (done: number, samples: number) => void): Promise<EvaluationReport> {
  const samples = await collectSamples(scenario, onProgress ? { onProgress } : {});
  if (samples.length === 0) throw new Error(`scenario ${scenario.name} produced no stop events`);
  const estimates = await modelEstimates(model, samples);
  return {
    scenario: scenario.name,
    stopEvents: samples.length,
    capacity: round(mean(samples.map((s) => s.capacity)), 1),
    model: { ...metrics(samples, estimates), version: model.version },
    baselines: {
      runningSum: metrics(samples, samples.map((s) => s.runningSum)),
      // The camera's count where it has one; the running sum where it has none (offline, faulted).
      cameraOnly: metrics(samples, samples.map((s) => s.cameraAfter ?? s.runningSum)),
    },
  };
}
