import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { VirtualClock } from '../../../common/clock.js';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import { zonedTimeToEpoch } from '../../../common/time.js';
import { frameTelegram } from '../../../firmware-bindings/ibis/ibis-framing.js';
import { IBIS_GONE_REASON, IBIS_SILENCE_REASON, IbisTripAdapter } from '../../../firmware-bindings/ibis/ibis-trip-adapter.js';
import type { SourceEvent } from '../../../contracts/source-events.js';
import { IbisBusEmulator } from '../../../simulator/devices/ibis-bus.js';

describe('IbisTripAdapter', () => {
  let clock: VirtualClock;
  let events: SourceEvent[];
  let adapter: IbisTripAdapter;
  let bus: IbisBusEmulator;
  let busEnd: Duplex;

  function setUp(options: ConstructorParameters<typeof IbisBusEmulator>[2] = {}, maxChunk = 7): void {
    clock = new VirtualClock(zonedTimeToEpoch('2026-11-23', '07:00', 'Europe/Berlin'));
    events = [];
    const [a, b] = createDuplexPair({ maxChunk });
    busEnd = a;
    bus = new IbisBusEmulator(a, clock, options);
    adapter = new IbisTripAdapter(b, clock, { handle: (e) => events.push(e) }, { silenceMs: 20_000 });
  }
  afterEach(() => {
    bus.close();
    adapter.close();
  });

  it('turns a trip and a stop into trip events stamped on the clock, once per change', async () => {
    setUp();
    bus.setTrip({ line: 5, course: 12, destination: 51, destinationName: 'Kröllwitz' });
    bus.setStop(3, 'Marktplatz');
    await clock.settle();
    const t0 = clock.now();
    assert.deepEqual(events, [
      { type: 'trip', at: t0, line: 5 },
      { type: 'trip', at: t0, course: 12 },
      { type: 'trip', at: t0, destination: 51 },
      { type: 'trip', at: t0, destinationName: 'Kröllwitz' },
      { type: 'trip', at: t0, stop: 3 },
      { type: 'trip', at: t0, stopName: 'Marktplatz' },
    ]);
    // Repetitions carry nothing new.
    await clock.advance(60_000);
    assert.equal(events.length, 6);
    assert.ok(adapter.counters.telegrams > 6 * 10);
    bus.setStop(4, 'Riebeckplatz');
    await clock.settle();
    assert.deepEqual(events.slice(6), [
      { type: 'trip', at: t0 + 60_000, stop: 4 },
      { type: 'trip', at: t0 + 60_000, stopName: 'Riebeckplatz' },
    ]);
    assert.deepEqual(adapter.state, { line: 5, course: 12, destination: 51, destinationName: 'Kröllwitz', stop: 4, stopName: 'Riebeckplatz' });
  });

  it('reports a new trip at the terminus by the fields that changed', async () => {
    setUp();
    bus.setTrip({ line: 5, course: 12, destination: 51, destinationName: 'Kröllwitz' });
    bus.setStop(10, 'Kröllwitz');
    await clock.settle();
    events.length = 0;
    bus.setTrip({ line: 5, course: 12, destination: 52, destinationName: 'Ammendorf' });
    bus.setStop(1, 'Kröllwitz');
    await clock.settle();
    assert.deepEqual(
      events.map(({ at: _at, ...rest }) => rest),
      [
        { type: 'trip', destination: 52 },
        { type: 'trip', destinationName: 'Ammendorf' },
        { type: 'trip', stop: 1 },
      ],
    );
  });

  it('reads DS001neu lines that are numbers as the line', async () => {
    setUp({ lineTelegram: 'q' });
    bus.setTrip({ line: 16, course: 2, destination: 161, destinationName: 'Beesen' });
    await clock.settle();
    assert.deepEqual(events[0], { type: 'trip', at: clock.now(), line: 16 });
  });

  it('keeps time, date and validator stop out of the events and counts them as unmapped', async () => {
    setUp();
    await clock.advance(5000);
    assert.deepEqual(events, []);
    assert.equal(adapter.unmapped, 2);
    bus.sendRaw(frameTelegram('eH0001234'));
    await clock.settle();
    assert.equal(adapter.unmapped, 3);
  });

  it('raises a vehicle-bus fault when the bus falls silent, and clears it with the next telegram', async () => {
    setUp();
    bus.setTrip({ line: 5, course: 12, destination: 51, destinationName: 'Kröllwitz' });
    await clock.settle();
    const silentFrom = clock.now();
    bus.setSilent(true);
    await clock.advance(19_999);
    assert.equal(events.filter((e) => e.type === 'fault').length, 0);
    await clock.advance(60_000);
    const faults = events.filter((e) => e.type === 'fault');
    assert.deepEqual(faults, [{ type: 'fault', at: silentFrom + 20_000, sensor: 'vehicle-bus', active: true, reason: IBIS_SILENCE_REASON }]);
    bus.setSilent(false);
    const resumedAt = clock.now();
    await clock.advance(5000);
    const cleared = events.filter((e) => e.type === 'fault').at(-1)!;
    assert.deepEqual({ ...cleared, at: 0 }, { type: 'fault', at: 0, sensor: 'vehicle-bus', active: false, reason: IBIS_SILENCE_REASON });
    // Cleared by the first repetition after the bus came back.
    assert.ok(cleared.at > resumedAt && cleared.at <= resumedAt + 5000);
  });

  it('raises a fault when the bus stream goes away', async () => {
    setUp();
    busEnd.end();
    await clock.settle();
    assert.deepEqual(events, [{ type: 'fault', at: clock.now(), sensor: 'vehicle-bus', active: true, reason: IBIS_GONE_REASON }]);
    await clock.advance(120_000);
    assert.equal(events.length, 1);
  });

  it('never passes a driver number on, and counts it', async () => {
    setUp({ driverNumber: 4711 });
    bus.setTrip({ line: 5, course: 12, destination: 51, destinationName: 'Kröllwitz' });
    await clock.advance(10_000);
    assert.equal(adapter.counters.droppedPersonal, 3);
    assert.ok(!JSON.stringify(events).includes('4711'));
  });
});
