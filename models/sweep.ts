/**
 * `occupancy model evaluate --sweep`: the model and the baselines over a grid of door-counter and
 * camera quality, on the held-out scenarios (their own sensor settings replaced by the cell's).
 * Each cell pools the scenarios' departures and is checked against the aims of issue 12: bias
 * within 1 % of the mean load, model MAE no worse than the running sum's (strictly, and "within
 * noise": at most two standard errors of the paired difference, clustered by vehicle-day), and at
 * least 30 % below the best baseline wherever the doors miss 5 % or more in close succession.
 *
 * Warm by default: on a vehicle the self-calibration and the guard keep what they learned across
 * days (the outbox database), so before the evaluated day each vehicle runs `warmDays` earlier
 * service days under the same cell's sensors (the same weekday 7, 14, ... days before, with seeds
 * of their own), and starts the evaluated day with the calibration and guard state those left.
 * Only the evaluated day is scored. `warmDays: 0` (`--cold`) starts every vehicle afresh on the
 * evaluated day, as the first day after installation.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mean, round } from '../common/stats.js';
import type { OnnxLoadModel } from '../gateway/estimation/onnx-model.js';
import { loadScenario, type Scenario } from '../simulator/scenario.js';
import type { CalibrationState } from '../gateway/estimation/self-calibration.js';
import { collectSamples, type StopSample } from './data/collect.js';
import { formatMaeDifference, guardedEstimates, modelEstimates, scoreSamples, type MaeDifference, type Metrics, type VehicleState } from './evaluate.js';

export interface DoorQuality {
  name: string;
  doorMissBase: number;
  doorMissClose: number;
  doorDoubleCrowd: number;
}

export interface CameraQuality {
  name: string;
  cameraCrowdUndercount: number;
  cameraNoiseSd: number;
}

/** From a VDV 457-grade installation to the worst the model is trained for (models/training/plan.ts). */
export const DOOR_GRID: readonly DoorQuality[] = [
  { name: 'near-perfect', doorMissBase: 0.001, doorMissClose: 0.02, doorDoubleCrowd: 0.005 },
  { name: 'default', doorMissBase: 0.005, doorMissClose: 0.08, doorDoubleCrowd: 0.015 },
  { name: 'poor', doorMissBase: 0.02, doorMissClose: 0.15, doorDoubleCrowd: 0.03 },
  { name: 'worst', doorMissBase: 0.03, doorMissClose: 0.2, doorDoubleCrowd: 0.04 },
];

export const CAMERA_GRID: readonly CameraQuality[] = [
  { name: 'good', cameraCrowdUndercount: 0.05, cameraNoiseSd: 0.5 },
  { name: 'default', cameraCrowdUndercount: 0.22, cameraNoiseSd: 1 },
  { name: 'poor', cameraCrowdUndercount: 0.4, cameraNoiseSd: 3 },
];

/**
 * The held-out Halle days by default: a cell of them simulates in about a minute on a shared
 * machine, one Geneva day five times as long (add it with --scenarios).
 */
export const SWEEP_SCENARIOS = ['holdout-halle-line9', 'holdout-halle-weekend'];

export interface SweepAims {
  /** |bias| of the model as the gateway runs it (with the guard) at most 1 %. */
  bias: boolean;
  /** Its MAE no worse than the running sum's. */
  notWorseThanRunningSum: boolean;
  /**
   * The "within noise": its MAE no more than two standard errors (clustered by
   * vehicle-day) above the running sum's. Reported beside the strict aim, not instead of it.
   */
  notWorseWithinNoise: boolean;
  /** At least 30 % below the best baseline; checked only where close-succession misses are 5 % or more. */
  belowBestBaseline: boolean | 'not applicable';
}

export interface SweepCell {
  door: DoorQuality;
  camera: CameraQuality;
  stopEvents: number;
  capacity: number;
  model: Metrics;
  modelScaled: Metrics;
  modelGuarded: Metrics & { fallbackShare: number; vsRunningSum: MaeDifference };
  runningSum: Metrics;
  cameraOnly: Metrics;
  calibratedSum: Metrics;
  /** MAE of the guarded model below the best baseline's, as a share of it. */
  belowBestBaseline: number;
  aims: SweepAims;
  perScenario: Array<{ scenario: string; stopEvents: number; model: Metrics; modelScaled: Metrics; modelGuarded: Metrics; runningSum: Metrics; cameraOnly: Metrics }>;
}

export interface SweepReport {
  model: string;
  scenarios: string[];
  /** Earlier service days each vehicle ran before the evaluated one (0: cold start). */
  warmDays: number;
  cells: SweepCell[];
}

export function withSensors(scenario: Scenario, door: DoorQuality, camera: CameraQuality): Scenario {
  const { name: _d, ...doorParams } = door;
  const { name: _c, ...cameraParams } = camera;
  return { ...scenario, sensors: { ...scenario.sensors, ...doorParams, ...cameraParams } };
}

export function checkAims(cell: Pick<SweepCell, 'door' | 'modelGuarded' | 'runningSum' | 'cameraOnly'>): { aims: SweepAims; belowBestBaseline: number } {
  const best = Math.min(cell.runningSum.mae, cell.cameraOnly.mae);
  const below = best > 0 ? 1 - cell.modelGuarded.mae / best : 0;
  return {
    belowBestBaseline: round(below, 4),
    aims: {
      bias: Math.abs(cell.modelGuarded.bias) <= 0.01,
      notWorseThanRunningSum: cell.modelGuarded.mae <= cell.runningSum.mae,
      notWorseWithinNoise: cell.modelGuarded.vsRunningSum.difference <= 2 * cell.modelGuarded.vsRunningSum.standardError,
      belowBestBaseline: cell.door.doorMissClose >= 0.05 ? below >= 0.3 : 'not applicable',
    },
  };
}

export interface SweepOptions {
  scenarios?: readonly string[];
  doors?: readonly DoorQuality[];
  cameras?: readonly CameraQuality[];
  onCell?: (cell: SweepCell, index: number, total: number) => void;
  onProgress?: (message: string) => void;
  /**
   * A folder where each cell's simulated departures are kept: the simulation does not depend on
   * the model, so sweeping a second model over the same grid reads them instead of simulating again.
   */
  cacheDir?: string;
  /** Earlier service days run before the evaluated one, carrying calibration and guard state (default WARM_DAYS; 0: cold). */
  warmDays?: number;
}

/** Default warm-up days per vehicle before the evaluated day: the model scale learns over days (25 to 160 quiet moments a day). */
export const WARM_DAYS = 3;

/**
 * The k-th service day before a scenario's: the same weekday k weeks earlier (same timetable, so
 * the same vehicles), a seed of its own (still in the held-out range), otherwise unchanged.
 */
export function earlierDay(scenario: Scenario, k: number): Scenario {
  if (k === 0) return scenario;
  const [y, m, d] = scenario.date.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d - 7 * k)).toISOString().slice(0, 10);
  return { ...scenario, date, seed: scenario.seed + 100 * k };
}

interface DayRun {
  samples: StopSample[];
  /** Each vehicle's self-calibration at the end of the day. */
  calibrations: Map<string, CalibrationState>;
}

/**
 * One service day of a scenario in one cell, starting from the vehicles' calibration state
 * (`depth`: how many warm-up days led to it, part of the cache key), simulated or read from the cache.
 */
async function dayRun(scenario: Scenario, calibrations: ReadonlyMap<string, CalibrationState>, depth: number, cacheDir: string | undefined): Promise<DayRun> {
  const s = scenario.sensors;
  const key = `v2-${scenario.name}-${scenario.date}-${scenario.seed}-${[s.doorMissBase, s.doorMissClose, s.doorDoubleCrowd, s.cameraCrowdUndercount, s.cameraNoiseSd].join('_')}-w${depth}.json`;
  const file = cacheDir ? join(cacheDir, key) : undefined;
  type Stored = { samples: Array<Omit<StopSample, 'features' | 'cameraAfter'> & { features: number[]; cameraAfter: number | null }>; calibrations: Record<string, CalibrationState> };
  if (file && existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
    return {
      samples: stored.samples.map((r) => ({ ...r, features: Float32Array.from(r.features), cameraAfter: r.cameraAfter ?? undefined })),
      calibrations: new Map(Object.entries(stored.calibrations)),
    };
  }
  const out = new Map<string, CalibrationState>();
  const samples = await collectSamples(scenario, { calibrations, calibrationsOut: out });
  if (file) {
    mkdirSync(cacheDir!, { recursive: true });
    const stored: Stored = { samples: samples.map((x) => ({ ...x, features: Array.from(x.features), cameraAfter: x.cameraAfter ?? null })), calibrations: Object.fromEntries(out) };
    writeFileSync(file, JSON.stringify(stored));
  }
  return { samples, calibrations: out };
}

/**
 * The evaluated day of a scenario in one cell, after `warmDays` earlier days that carried each
 * vehicle's self-calibration (into the features) and guard (into the replay) forward. Returns the
 * evaluated day's samples and each vehicle's guard and model scale at its start.
 */
async function warmedDay(scenario: Scenario, model: OnnxLoadModel, warmDays: number, options: SweepOptions): Promise<{ samples: StopSample[]; vehicles: Map<string, VehicleState> }> {
  let calibrations = new Map<string, CalibrationState>();
  let vehicles = new Map<string, VehicleState>();
  for (let k = warmDays; k >= 1; k--) {
    const day = earlierDay(scenario, k);
    options.onProgress?.(`  warm-up day ${day.date} (seed ${day.seed})`);
    const run = await dayRun(day, calibrations, warmDays - k, options.cacheDir);
    const next = new Map<string, VehicleState>();
    guardedEstimates(run.samples, await modelEstimates(model, run.samples), { initial: vehicles, final: next });
    calibrations = run.calibrations;
    vehicles = next;
  }
  const run = await dayRun(scenario, calibrations, warmDays, options.cacheDir);
  return { samples: run.samples, vehicles };
}

export async function runSweep(model: OnnxLoadModel, options: SweepOptions = {}): Promise<SweepReport> {
  const names = options.scenarios ?? SWEEP_SCENARIOS;
  const base = names.map((n) => loadScenario(n));
  const doors = options.doors ?? DOOR_GRID;
  const cameras = options.cameras ?? CAMERA_GRID;
  const warmDays = options.warmDays ?? WARM_DAYS;
  const cells: SweepCell[] = [];
  const total = doors.length * cameras.length;
  for (const door of doors) {
    for (const camera of cameras) {
      const pooled: StopSample[] = [];
      const pooledLoads: number[] = [];
      const perScenario: SweepCell['perScenario'] = [];
      const pooledVehicles = new Map<string, VehicleState>();
      for (const scenario of base) {
        options.onProgress?.(`doors ${door.name}, camera ${camera.name}: ${scenario.name}`);
        const { samples, vehicles } = await warmedDay(withSensors(scenario, door, camera), model, warmDays, options);
        const loads = await modelEstimates(model, samples);
        const s = scoreSamples(samples, loads, { initial: vehicles });
        for (const [k, v] of vehicles) pooledVehicles.set(k, v);
        perScenario.push({ scenario: scenario.name, stopEvents: samples.length, model: s.model, modelScaled: s.modelScaled, modelGuarded: s.modelGuarded, runningSum: s.baselines.runningSum, cameraOnly: s.baselines.cameraOnly });
        pooled.push(...samples);
        pooledLoads.push(...loads);
      }
      const s = scoreSamples(pooled, pooledLoads, { initial: pooledVehicles });
      const partial = { door, camera, modelGuarded: s.modelGuarded, runningSum: s.baselines.runningSum, cameraOnly: s.baselines.cameraOnly };
      const cell: SweepCell = {
        ...partial,
        stopEvents: pooled.length,
        capacity: round(mean(pooled.map((p) => p.capacity)), 1),
        model: s.model,
        modelScaled: s.modelScaled,
        calibratedSum: s.calibratedSum,
        ...checkAims(partial),
        perScenario,
      };
      cells.push(cell);
      options.onCell?.(cell, cells.length, total);
    }
  }
  return { model: model.version, scenarios: [...names], warmDays, cells };
}

const pct = (v: number, digits = 2) => `${(v * 100).toFixed(digits)} %`;
const mark = (ok: boolean | 'not applicable') => (ok === 'not applicable' ? '-' : ok ? 'met' : 'MISSED');

/** The strict aim, and where it is missed, by how much against its noise (MAE difference ± one standard error). */
export function notWorseMark(c: Pick<SweepCell, 'aims' | 'modelGuarded'>): string {
  if (c.aims.notWorseThanRunningSum) return 'met';
  return `${c.aims.notWorseWithinNoise ? 'within noise' : 'MISSED'} (${formatMaeDifference(c.modelGuarded.vsRunningSum)})`;
}

/** The sweep as a Markdown table (what the CLI prints and the model card shows). */
export function sweepTable(report: SweepReport): string {
  const rows = [
    '| doors | camera | stop events | model MAE / bias / levels | model × vehicle scale MAE / bias / levels | model × scale + guard MAE / bias / levels (running sum used) | running sum MAE / bias / levels | camera only MAE / bias / levels | below best baseline | bias ≤ 1 % | not worse than running sum | ≥ 30 % below best |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const m = (x: Metrics) => `${x.mae.toFixed(2)} / ${pct(x.bias)} / ${pct(x.levelAccuracy, 1)}`;
  for (const c of report.cells) {
    rows.push(
      `| ${c.door.name} | ${c.camera.name} | ${c.stopEvents} | ${m(c.model)} | ${m(c.modelScaled)} | ${m(c.modelGuarded)} (${pct(c.modelGuarded.fallbackShare, 1)}) | ${m(c.runningSum)} | ${m(c.cameraOnly)} | ${pct(c.belowBestBaseline, 0)} | ${mark(c.aims.bias)} | ${notWorseMark(c)} | ${mark(c.aims.belowBestBaseline)} |`,
    );
  }
  return rows.join('\n');
}
