/**
 * Figures of the edge agent itself: load-model inference per departure (one row, as the gateway
 * runs it), pseudonymising one radio sighting, and, in child processes so nothing else of the
 * bench is counted, a fleet day at event depth and one tram at device depth. The gateway's own
 * memory is measured on the compiled vehicle image as a process (bench/vehicle.ts). Measurements
 * to read, never pass/fail.
 *
 * `node --import tsx bench/edge.ts <child-mode>` runs one child measurement and prints JSON.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../common/clock.js';
import { configureLogging } from '../common/log.js';
import { OnnxLoadModel } from '../gateway/estimation/onnx-model.js';
import { Pseudonymiser } from '../gateway/privacy/pseudonymiser.js';
import { RadioSource } from '../gateway/sources/radio-source.js';
import { collectSamples, type StopSample } from '../models/data/collect.js';
import { SHIPPED_MODEL } from '../gateway/estimation/shipped-model.js';
import { runScenario } from '../simulator/day-run/run-scenario.js';
import { loadScenario } from '../simulator/scenario.js';

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Peak resident set of this process so far, from the kernel (MB). */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

export interface InferenceFigures {
  rows: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  modelBytes: number;
  version: string;
}

/** One departure at a time, as on the vehicle: features of a real simulated morning, 3 passes. */
export async function modelInference(): Promise<InferenceFigures> {
  const samples: StopSample[] = await collectSamples(loadScenario('demo', ['end=10:00']));
  const model = await OnnxLoadModel.load(SHIPPED_MODEL);
  const levels = (s: StopSample) => new Float32Array([s.levels.medium, s.levels.high]);
  for (const s of samples.slice(0, 200)) await model.predict(s.features, levels(s));
  const times: number[] = [];
  for (let pass = 0; pass < 3; pass++) {
    for (const s of samples) {
      const l = levels(s);
      const t0 = process.hrtime.bigint();
      await model.predict(s.features, l);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  await model.close();
  times.sort((a, b) => a - b);
  return { rows: times.length, p50Us: quantile(times, 0.5), p99Us: quantile(times, 0.99), maxUs: times[times.length - 1]!, modelBytes: readFileSync(SHIPPED_MODEL).length, version: model.version };
}

export interface PseudonymFigures {
  sightings: number;
  hmacUs: number;
  sourceUs: number;
}

/** Keyed hash of one address, and the radio source's whole path (filter, hash, de-duplicate, event). */
export function pseudonymising(n = 200_000): PseudonymFigures {
  const clock = new VirtualClock(Date.parse('2026-11-23T06:00:00Z'));
  const p = new Pseudonymiser(clock);
  const addresses = Array.from({ length: 4096 }, (_, i) => `4a:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}:10:20:30`);
  for (let i = 0; i < 10_000; i++) p.pseudonymise('radio', addresses[i & 4095]!);
  let t0 = performance.now();
  for (let i = 0; i < n; i++) p.pseudonymise('radio', addresses[i & 4095]!);
  const hmacUs = ((performance.now() - t0) * 1000) / n;
  let events = 0;
  const source = new RadioSource(clock, { handle: () => events++ }, (kind, raw) => p.pseudonymise(kind, raw));
  t0 = performance.now();
  for (let i = 0; i < n; i++) source.sighting('ble', addresses[i & 4095]!, -60, i * 10);
  const sourceUs = ((performance.now() - t0) * 1000) / n;
  p.close();
  if (events === 0) throw new Error('the radio source reported nothing');
  return { sightings: n, hmacUs, sourceUs };
}

export interface ChildFigures {
  mode: string;
  wallSeconds: number;
  peakRssMb: number;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  simulatedHours?: number;
  stopEvents?: number;
  vehicles?: number;
}

/** Runs one measurement in a fresh Node process (so its memory is its own). */
export function inChild(mode: 'fleet-day' | 'device-depth'): ChildFigures {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), mode], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench child ${mode} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildFigures;
}

async function child(mode: string): Promise<ChildFigures> {
  configureLogging({ level: 'warn' });
  const t0 = performance.now();
  const scenario = mode === 'fleet-day' ? loadScenario('fleet-day') : loadScenario('demo', ['depth=device', 'lines.0.maxVehicles=1']);
  const r = await runScenario(scenario);
  return {
    mode,
    wallSeconds: (performance.now() - t0) / 1000,
    peakRssMb: peakRssMb(),
    simulatedHours: r.run.simulatedHours,
    stopEvents: r.stopEvents,
    vehicles: r.vehicles,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  console.log(JSON.stringify(await child(process.argv[2])));
}
