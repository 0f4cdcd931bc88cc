import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { Rng } from '../../../common/random.js';
import { zonedTimeToEpoch } from '../../../common/time.js';
import { StopEventAssembler } from '../../../gateway/counting/stop-event-assembler.js';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';
import type { EventSink, SensorFaultEvent } from '../../../gateway/sources/events.js';
import type { DoorBoardTiming } from '../../../firmware-bindings/door-board/door-board-config.js';
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
  /** Sensor faults as the assembler received them. */
  faults: SensorFaultEvent[];
  rigs: DoorBoardRig[];
  wallMs: number;
  simulatedMs: number;
  /** When the world's runners started (after the door boards were ready). */
  worldStart: number;
}

async function run(scenario: Scenario, depth: 'event' | 'device', timing: Partial<DoorBoardTiming> = {}): Promise<Run> {
  const tz = scenario.timeZone;
  const at = (hhmm: string) => zonedTimeToEpoch(scenario.date, hhmm, tz);
  const clock = new VirtualClock(at(scenario.start) - 15 * 60_000);
  const t0 = clock.now();
  const stops: StopEvent[] = [];
  const faults: SensorFaultEvent[] = [];
  const rigs: DoorBoardRig[] = [];
  const world = await buildWorld(scenario, {
    clock,
    rng: new Rng(scenario.seed),
    window: { serviceDay: at('00:00'), startMs: at(scenario.start), endMs: at(scenario.end) },
    onTruth: () => undefined,
    attach: (block) => {
      const counting = new StopEventAssembler(clock, { departureGraceMs: 15_000 });
      counting.onStopEvent((e) => stops.push(e));
      const assembler: EventSink = {
        handle: (e) => {
          if (e.type === 'fault') faults.push({ ...e, at: clock.now() });
          counting.handle(e);
        },
      };
      if (depth === 'event') return { sink: assembler };
      const rig = new DoorBoardRig({ clock, rng: new Rng(scenario.seed).fork(`door-driver-${block.vehicleId}`), mapping: block.vehicleType.doorBoard!, sink: assembler, maxChunk: 2, timing });
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
  const worldStart = clock.now();
  for (const r of world.runners) r.start();
  for (let hours = 0; hours < 12 && !world.runners.every((r) => r.finished); hours++) await clock.advance(3_600_000);
  await clock.advance(60_000);
  assert.ok(world.runners.every((r) => r.finished));
  for (const rig of rigs) rig.close();
  return { stops, faults, rigs, worldStart, wallMs: Date.now() - started, simulatedMs: clock.now() - t0 };
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

  it('with sensor faults, differs only where the difference is inherent (detection and reconnection time)', async () => {
    // A beam blocked at door 2 from before the first stop until 07:20; the board unplugged 07:35-07:40.
    const scenario = hourOfLine5(7, [
      { sensor: 'beam', door: 2, from: '06:30', to: '07:20' },
      { sensor: 'door-board', from: '07:35', to: '07:40' },
    ]);
    const at = (hhmm: string) => zonedTimeToEpoch(scenario.date, hhmm, scenario.timeZone);
    const events = await run(scenario, 'event');
    const device = await run(scenario, 'device', { reconnectMaxMs: 4000 });
    assert.equal(device.stops.length, events.stops.length);
    // The board is back at most one back-off (4 s here) after the world plugs it in again: a stop
    // that begins or ends in that window may see its doors later, or miss passages, at device depth.
    const window = [at('07:40'), at('07:40') + 4000 + 1000];
    const touches = (e: StopEvent) => e.departure >= window[0]! && e.arrival <= window[1]!;
    const differing = events.stops.map((e, i) => [e, device.stops[i]!] as const).filter(([e, d]) => JSON.stringify(e) !== JSON.stringify(d));
    for (const [e] of differing) assert.ok(touches(e), `stop ${e.stop} at ${new Date(e.arrival).toISOString()} differs outside the reconnect window`);
    assert.ok(events.stops.some((e) => e.faults.includes('beam')) && device.stops.some((e) => e.faults.includes('beam')));
    // The world says a fault from its first instant; the binding when its rule has seen it: a
    // blocked beam after beamBlockedSeconds (30 s), an unplugged board at once, its return after the
    // reconnection back-off. (The world's fault windows start when the vehicle's run does, 06:45.)
    const summary = (f: SensorFaultEvent[]) => f.map((e) => `${e.sensor} ${e.active ? 'on' : 'off'}`);
    assert.deepEqual(summary(events.faults), ['beam on', 'beam off', 'door-board on', 'door-board off']);
    assert.deepEqual(events.faults.map((f) => f.at), [events.worldStart, at('07:20'), at('07:35'), at('07:40')]);
    assert.deepEqual(summary(device.faults), ['beam on', 'beam off', 'door-board on', 'door-board off']);
    const [beamOn, beamOff, boardOn, boardOff] = device.faults.map((f) => f.at);
    assert.equal(beamOn, device.worldStart + 30_000);
    assert.ok(beamOff! - at('07:20') >= 0 && beamOff! - at('07:20') <= 100, `beam clear seen ${beamOff! - at('07:20')} ms late`);
    assert.equal(boardOn, at('07:35'));
    assert.ok(boardOff! >= at('07:40') && boardOff! <= at('07:40') + 4000 + 100, `board back ${boardOff! - at('07:40')} ms late`);
    const rig = device.rigs[0]!;
    assert.ok(rig.source.counters.failures >= 1 && rig.source.counters.connects >= 2, 'unplugged and reconnected');
  });
});
