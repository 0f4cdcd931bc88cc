/**
 * Collects training and evaluation samples: runs a scenario's world straight into the gateway's
 * own counting and feature code (no radio link needed) and joins every stop event with the
 * simulator's ground truth. The features are exactly what the gateway computes at departure.
 */
import { VirtualClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';
import { zonedTimeToEpoch } from '../../common/time.js';
import { StopEventAssembler } from '../../gateway/counting/stop-event-assembler.js';
import type { LevelThresholds } from '../../contracts/occupancy-levels.js';
import { FeatureBuilder } from '../../gateway/estimation/features.js';
import { SelfCalibration, type CalibrationState } from '../../gateway/estimation/self-calibration.js';
import { Pseudonymiser } from '../../gateway/privacy/pseudonymiser.js';
import { RadioSource } from '../../gateway/sources/radio-source.js';
import type { Scenario } from '../../simulator/scenario.js';
import type { TruthStop } from '../../simulator/world/vehicle-runner.js';
import { buildWorld } from '../../simulator/world/world-builder.js';

export interface StopSample {
  scenario: string;
  vehicleId: string;
  lineId: string;
  features: Float32Array;
  runningSum: number;
  /** The door sum corrected by the vehicle's self-calibration, before the model. */
  calibratedSum: number;
  cameraAfter: number | undefined;
  capacity: number;
  seats: number;
  levels: LevelThresholds;
  /** True load after departure. */
  truth: number;
}

export interface CollectOptions {
  seed?: number;
  /** Departure grace of the assembler, as on the vehicle. */
  departureGraceMs?: number;
  /** Called after each simulated hour: share done (0..1) and samples so far. */
  onProgress?: (done: number, samples: number) => void;
  /**
   * What each vehicle's self-calibration had learned before this day (by vehicle id), as the
   * gateway restores it from its outbox database at start; a vehicle without one starts afresh.
   */
  calibrations?: ReadonlyMap<string, CalibrationState>;
  /** Filled with what each vehicle's self-calibration knows at the end of the day (by vehicle id). */
  calibrationsOut?: Map<string, CalibrationState>;
}

export async function collectSamples(scenario: Scenario, options: CollectOptions = {}): Promise<StopSample[]> {
  const tz = scenario.timeZone;
  const at = (hhmm: string) => zonedTimeToEpoch(scenario.date, hhmm, tz);
  const startMs = at(scenario.start);
  const endMs = at(scenario.end);
  const clock = new VirtualClock(startMs - 15 * 60_000);
  const rng = new Rng(options.seed ?? scenario.seed);
  const pseudonymiser = new Pseudonymiser(clock, { timeZone: tz, rotateAtHour: 3 });
  const truthByKey = new Map<string, TruthStop>();
  const samples: StopSample[] = [];
  const builders = new Map<string, FeatureBuilder>();
  const world = await buildWorld(scenario, {
    clock,
    rng,
    window: { serviceDay: at('00:00'), startMs, endMs },
    onTruth: (t) => truthByKey.set(`${t.vehicleId}/${t.doorsClosed}`, t),
    attach: (block) => {
      const type = block.vehicleType;
      const assembler = new StopEventAssembler(clock, { departureGraceMs: options.departureGraceMs ?? 15_000 });
      const calibration = new SelfCalibration(options.calibrations?.get(block.vehicleId));
      const features = new FeatureBuilder({ capacity: type.capacity, seats: type.seats, timeZone: tz }, calibration);
      builders.set(block.vehicleId, features);
      assembler.onStopEvent((event) => {
        const row = features.next(event);
        const truth = truthByKey.get(`${block.vehicleId}/${event.departure}`);
        if (!truth) return;
        samples.push({
          scenario: scenario.name,
          vehicleId: block.vehicleId,
          lineId: block.lineId,
          features: row.features,
          runningSum: row.runningSum,
          calibratedSum: row.calibratedSum,
          cameraAfter: row.cameraAfter,
          capacity: type.capacity,
          seats: type.seats,
          levels: type.levels,
          truth: truth.loadAfter,
        });
      });
      const radio = new RadioSource(clock, { handle: (e) => e.type === 'radio' && features.onRadioSighting(e.pseudonym) }, (kind, raw) => pseudonymiser.pseudonymise(kind, raw));
      return { sink: assembler, radio: (s) => radio.sighting(s.medium, s.address, s.rssi, s.at) };
    },
  });
  for (const runner of world.runners) runner.start();
  const end = endMs + 3 * 3_600_000;
  const begin = clock.now();
  for (let t = clock.now(); t < end; ) {
    t = Math.min(end, t + 3_600_000);
    await clock.runUntil(t);
    options.onProgress?.((t - begin) / (end - begin), samples.length);
  }
  pseudonymiser.close();
  for (const [vehicleId, features] of builders) options.calibrationsOut?.set(vehicleId, features.calibration.snapshot());
  return samples;
}
