import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { Rng } from '../../../common/random.js';
import { zonedTimeToEpoch } from '../../../common/time.js';
import { StopEventAssembler } from '../../../gateway/counting/stop-event-assembler.js';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';
import { DoorBoardRig } from '../../../simulator/devices/door-board-rig.js';
import { SCENARIO_DIR, scenarioFromObject, type Scenario } from '../../../simulator/scenario.js';
import { buildWorld } from '../../../simulator/world/world-builder.js';

/** One MGT-K1 on line 5 for an hour of departures (it finishes the trips it started). */
function hourOfLine5(seed: number, faults: unknown[] = []): Scenario {
  return scenarioFromObject({
    name: 'door-board-hour',
    seed,
    date: '2026-11-23',
    start: '07:00',
    end: '08:00',
    lines: [{ file: '../data/lines/halle-5.yaml', vehicleType: 'MGT-K1', maxVehicles: 1 }],
    radio: { enabled: false },
    faults,
  }, SCENARIO_DIR);
}

interface Run {
  stops: StopEvent[];
  rigs: DoorBoardRig[];
  wallMs: number;
  simulatedMs: number;
}

async function run(scenario: Scenario, depth: 'event' | 'device'): Promise<Run> {
  const tz = scenario.timeZone;
  const at = (hhmm: string) => zonedTimeToEpoch(scenario.date, hhmm, tz);
  const clock = new VirtualClock(at(scenario.start) - 15 * 60_000);
  const t0 = clock.now();
  const stops: StopEvent[] = [];
  const rigs: DoorBoardRig[] = [];
  const world = await buildWorld(scenario, {
    clock,
    rng: new Rng(scenario.seed),
    window: { serviceDay: at('00:00'), startMs: at(scenario.start), endMs: at(scenario.end) },
    onTruth: () => undefined,
    attach: (block) => {
      const assembler = new StopEventAssembler(clock, { departureGraceMs: 15_000 });
      assembler.onStopEvent((e) => stops.push(e));
      if (depth === 'event') return { sink: assembler };
      const rig = new DoorBoardRig({ clock, rng: new Rng(scenario.seed).fork(`door-driver-${block.vehicleId}`), mapping: block.vehicleType.doorBoard!, sink: assembler, maxChunk: 2 });
      rigs.push(rig);
      return { sink: rig.worldSink, tap: rig.tap };
    },
  });
  const started = Date.now();
  for (const rig of rigs) {
    const ready = rig.start();
    await clock.advance(100);
    await ready;
  }
  for (const r of world.runners) r.start();
  for (let hours = 0; hours < 12 && !world.runners.every((r) => r.finished); hours++) await clock.advance(3_600_000);
  await clock.advance(60_000);
  assert.ok(world.runners.every((r) => r.finished));
  for (const rig of rigs) rig.close();
  return { stops, rigs, wallMs: Date.now() - started, simulatedMs: clock.now() - t0 };
}

describe('door board at device depth against event depth', function () {
  this.timeout(60_000);

  it('the assembler gets the same stop events from the bytes as from the world events (seed 7)', async () => {
    const scenario = hourOfLine5(7);
    const events = await run(scenario, 'event');
    const device = await run(scenario, 'device');
    const rig = device.rigs[0]!;
    const passages = events.stops.reduce((s, e) => s + e.boardings + e.alightings, 0);
    assert.ok(events.stops.length >= 20, `a real hour: ${events.stops.length} stops`);
    assert.ok(passages >= 50, `with passengers: ${passages}`);
    assert.deepEqual(device.stops, events.stops);
    // The bytes really carried it: every passage went through the beams and the direction rule.
    const c = rig.source.doorCounters;
    assert.equal(c.passagesIn + c.passagesOut, rig.driver.counters.passages);
    assert.equal(c.turnedBack + c.unreadable + c.passagesWhileClosed, 0);
    assert.equal(rig.source.framing.dropped, 0);
    assert.equal(rig.source.counters.failures, 0);
  });
});
