/**
 * Trains the load estimator: collects samples from the training plan's scenarios, fits a boosted
 * tree ensemble to the running sum's error (as a share of capacity) and a second one to the size
 * of the remaining error, and exports both as one ONNX model with its metadata.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../../common/random.js';
import { FEATURE_INDEX, FEATURES } from '../../gateway/estimation/features.js';
import { collectSamples, type StopSample } from '../data/collect.js';
import { exportLoadModel } from '../onnx/export-load-model.js';
import { countNodes, predictGbdt, trainGbdt, type Dataset, type GbdtParams } from './gbdt.js';
import type { CalibrationState } from '../../gateway/estimation/self-calibration.js';
import { DEFAULT_PLAN, startsWarm, trainingScenarios, warmUpDay, type PlanOptions } from './plan.js';

export const MODEL_VERSION = '1.4.0';

export const DEFAULT_PARAMS: GbdtParams = { trees: 600, depth: 7, learningRate: 0.08, minLeaf: 30, lambda: 1, subsample: 0.8, bins: 128, seed: 7 };
export const UNCERTAINTY_PARAMS: GbdtParams = { trees: 80, depth: 4, learningRate: 0.1, minLeaf: 100, lambda: 1, subsample: 0.8, bins: 64, seed: 8 };

export interface TrainOptions {
  plan?: PlanOptions;
  params?: GbdtParams;
  /** Let the model use the radio features (otherwise they are zeroed in training). */
  withRadio?: boolean;
  onProgress?: (message: string) => void;
}

export interface TrainResult {
  bytes: Uint8Array;
  samples: number;
  scenarios: string[];
  fingerprint: string;
  seconds: { collect: number; train: number };
  nodes: number;
  withRadio: boolean;
}

const RADIO = [FEATURE_INDEX.radio_persistent, FEATURE_INDEX.radio_current];

export function toDataset(samples: readonly StopSample[], withRadio: boolean): Dataset {
  const F = FEATURES.length;
  const x = new Float32Array(samples.length * F);
  const y = new Float64Array(samples.length);
  samples.forEach((s, i) => {
    x.set(s.features, i * F);
    if (!withRadio) for (const r of RADIO) x[i * F + r] = 0;
    y[i] = (s.truth - s.runningSum) / s.capacity;
  });
  return { x, y, featureCount: F };
}

function fingerprint(samples: readonly StopSample[]): string {
  const hash = createHash('sha256');
  for (const s of samples) {
    hash.update(Buffer.from(s.features.buffer, s.features.byteOffset, s.features.byteLength));
    hash.update(`${s.truth}/${s.capacity};`);
  }
  return hash.digest('hex').slice(0, 16);
}

function subset(data: Dataset, rows: number[]): Dataset {
  const F = data.featureCount;
  const x = new Float32Array(rows.length * F);
  const y = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    x.set(data.x.subarray(r * F, (r + 1) * F), i * F);
    y[i] = data.y[r]!;
  });
  return { x, y, featureCount: F };
}

export async function trainLoadModel(options: TrainOptions = {}): Promise<TrainResult> {
  const progress = options.onProgress ?? (() => undefined);
  const withRadio = options.withRadio ?? true;
  const plan = options.plan ?? DEFAULT_PLAN;
  const scenarios = trainingScenarios(plan);
  const t0 = performance.now();
  const samples: StopSample[] = [];
  let warm = 0;
  for (const [i, scenario] of scenarios.entries()) {
    let calibrations: Map<string, CalibrationState> | undefined;
    if (startsWarm(plan, i)) {
      // Only the calibration it leaves is kept: the warm-up day's rows would be cold ones again.
      calibrations = new Map();
      await collectSamples(warmUpDay(scenario), { calibrationsOut: calibrations });
      warm++;
    }
    const got = await collectSamples(scenario, calibrations ? { calibrations } : {});
    samples.push(...got);
    progress(`collected ${scenario.name}${calibrations ? ' (warm)' : ''} (${i + 1}/${scenarios.length}): ${got.length} stop events, ${samples.length} in all`);
  }
  const t1 = performance.now();
  const data = toDataset(samples, withRadio);
  // 80 % of rows fit the load correction; the other 20 %, unseen by it, teach the error size.
  const rng = new Rng(11);
  const fitRows: number[] = [];
  const calibrationRows: number[] = [];
  for (let i = 0; i < samples.length; i++) (rng.chance(0.8) ? fitRows : calibrationRows).push(i);
  const params = options.params ?? DEFAULT_PARAMS;
  const correction = trainGbdt(subset(data, fitRows), params, (t, mae) => {
    if ((t + 1) % 50 === 0) progress(`load correction: ${t + 1}/${params.trees} trees, training MAE ${(mae * 100).toFixed(3)} % of capacity`);
  });
  const calibration = subset(data, calibrationRows);
  const absError = new Float64Array(calibration.y.length);
  for (let i = 0; i < absError.length; i++) absError[i] = Math.abs(calibration.y[i]! - predictGbdt(correction, calibration.x, i * data.featureCount));
  const uncertainty = trainGbdt({ ...calibration, y: absError }, UNCERTAINTY_PARAMS);
  progress(`error-size model: ${UNCERTAINTY_PARAMS.trees} trees on ${absError.length} rows the correction never saw`);
  const t2 = performance.now();
  const fp = fingerprint(samples);
  const bytes = exportLoadModel(correction, uncertainty, {
    version: `${MODEL_VERSION}${withRadio ? '' : '-noradio'}`,
    modelVersion: 2,
    fingerprint: fp,
    trainedAt: new Date().toISOString().slice(0, 10),
    notes: {
      training_scenarios: String(scenarios.length),
      warm_training_days: String(warm),
      door_quality_max: String(plan.doorQualityMax),
      training_samples: String(samples.length),
      radio_features: withRadio ? 'used' : 'zeroed',
      held_out: 'line halle-9; seeds >= 9000; Geneva 2012-10-04 and 2012-10-05',
    },
  });
  return {
    bytes,
    samples: samples.length,
    scenarios: scenarios.map((s) => s.name),
    fingerprint: fp,
    seconds: { collect: (t1 - t0) / 1000, train: (t2 - t1) / 1000 },
    nodes: countNodes(correction) + countNodes(uncertainty),
    withRadio,
  };
}
