/**
 * Runs a scenario's trams into the gateway's stop-event assembler at either depth, for the
 * device-depth equivalence test and the door-board speed bench: at event depth the world's typed
 * events go straight to the assembler; at device depth every door event goes through the emulated
 * board's bytes and the johnny-five binding (DoorBoardRig) and only the other events go straight.
 *
 * Must never: read the wall clock for anything but the wall time it reports.
 */
import { VirtualClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';
import { zonedTimeToEpoch } from '../../common/time.js';
import type { DoorBoardTiming } from '../../firmware-bindings/door-board/door-board-config.js';
import { StopEventAssembler } from '../../gateway/counting/stop-event-assembler.js';
import type { StopEvent } from '../../gateway/counting/stop-event.js';
import type { EventSink, SensorFaultEvent } from '../../contracts/source-events.js';
import { DoorBoardRig } from '../devices/door-board-rig.js';
import { SCENARIO_DIR, scenarioFromObject, type Scenario } from '../scenario.js';
import { buildWorld } from '../world/world-builder.js';

export type Depth = 'event' | 'device';

export interface DepthRun {
  stops: StopEvent[];
  /** Sensor faults as the assembler received them, stamped when it did. */
  faults: SensorFaultEvent[];
  rigs: DoorBoardRig[];
  /** When the world's runners started (after the door boards were ready). */
  worldStart: number;
  /** Virtual time from the runners' start until every tram had finished its block. */
  simulatedMs: number;
  wallMs: number;
}

export interface DepthRunOptions {
  timing?: Partial<DoorBoardTiming>;
  /** Bytes per write on the in-memory serial lines (default whole writes). */
  maxChunk?: number;
  departureGraceMs?: number;
}

/** One MGT-K1 on line 5 from 07:00 for an hour of departures (it finishes the trips it started). */
export function oneTramHour(seed = 7, faults: unknown[] = []): Scenario {
  return scenarioFromObject(
    {
      name: 'door-board-hour',
      seed,
      date: '2026-11-23',
      start: '07:00',
      end: '08:00',
      lines: [{ file: '../data/lines/halle-5.yaml', vehicleType: 'MGT-K1', maxVehicles: 1 }],
      radio: { enabled: false },
      faults,
    },
    SCENARIO_DIR,
  );
}

export async function runAtDepth(scenario: Scenario, depth: Depth, options: DepthRunOptions = {}): Promise<DepthRun> {
  const at = (hhmm: string) => zonedTimeToEpoch(scenario.date, hhmm, scenario.timeZone);
  const clock = new VirtualClock(at(scenario.start) - 15 * 60_000);
  const stops: StopEvent[] = [];
  const faults: SensorFaultEvent[] = [];
  const rigs: DoorBoardRig[] = [];
  const world = await buildWorld(scenario, {
    clock,
    rng: new Rng(scenario.seed),
    window: { serviceDay: at('00:00'), startMs: at(scenario.start), endMs: at(scenario.end) },
    onTruth: () => undefined,
    attach: (block) => {
      const counting = new StopEventAssembler(clock, { departureGraceMs: options.departureGraceMs ?? 15_000 });
      counting.onStopEvent((e) => stops.push(e));
      const sink: EventSink = {
        handle: (e) => {
          if (e.type === 'fault') faults.push({ ...e, at: clock.now() });
          counting.handle(e);
        },
      };
      if (depth === 'event') return { sink };
      const mapping = block.vehicleType.doorBoard;
      if (!mapping) throw new Error(`vehicle type ${block.vehicleType.id} has no doorBoard mapping`);
      const rig = new DoorBoardRig({
        clock,
        // The driver's own stream: the world's randomness must not depend on the depth.
        rng: new Rng(scenario.seed).fork(`door-driver-${block.vehicleId}`),
        mapping,
        sink,
        ...(options.timing ? { timing: options.timing } : {}),
        ...(options.maxChunk !== undefined ? { maxChunk: options.maxChunk } : {}),
      });
      rigs.push(rig);
      return { sink: rig.worldSink, tap: rig.tap };
    },
  });
  const wallStart = performance.now();
  for (const rig of rigs) {
    const ready = rig.start();
    await clock.advance(100);
    await ready;
  }
  const worldStart = clock.now();
  for (const r of world.runners) r.start();
  for (let hours = 0; hours < 24 && !world.runners.every((r) => r.finished); hours++) {
    const next = clock.now() + 3_600_000;
    // Step in minutes so the run stops soon after the last tram finished.
    while (clock.now() < next && !world.runners.every((r) => r.finished)) await clock.advance(60_000);
  }
  const simulatedMs = clock.now() - worldStart;
  // Let the last departure's grace time pass.
  await clock.advance(60_000);
  const wallMs = performance.now() - wallStart;
  for (const rig of rigs) rig.close();
  if (!world.runners.every((r) => r.finished)) throw new Error('the trams did not finish their blocks within a day');
  return { stops, faults, rigs, worldStart, simulatedMs, wallMs };
}
