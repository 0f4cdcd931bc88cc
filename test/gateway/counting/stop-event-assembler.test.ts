import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { StopEventAssembler } from '../../../gateway/counting/stop-event-assembler.js';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';

function setup() {
  const clock = new VirtualClock(0);
  const assembler = new StopEventAssembler(clock, { departureGraceMs: 15_000 });
  const events: StopEvent[] = [];
  assembler.onStopEvent((e) => events.push(e));
  return { clock, assembler, events };
}

describe('StopEventAssembler', () => {
  it('assembles one stop from open, passages and close, after the grace time', async () => {
    const { clock, assembler, events } = setup();
    assembler.handle({ type: 'trip', at: 0, line: 5, course: 2, destination: 51, stop: 3 });
    assembler.handle({ type: 'door', at: 1000, door: 1, open: true });
    assembler.handle({ type: 'door', at: 1200, door: 2, open: true });
    assembler.handle({ type: 'passage', at: 2000, door: 1, direction: 'out' });
    assembler.handle({ type: 'passage', at: 3000, door: 2, direction: 'in' });
    assembler.handle({ type: 'passage', at: 3500, door: 2, direction: 'in' });
    await clock.advance(20_000);
    assembler.handle({ type: 'door', at: 20_000, door: 1, open: false });
    assembler.handle({ type: 'door', at: 20_000, door: 2, open: false });
    await clock.advance(14_000);
    assert.equal(events.length, 0, 'not departed before the grace time');
    await clock.advance(2000);
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.stop, 3);
    assert.deepEqual(e.trip, { line: 5, course: 2, destination: 51 });
    assert.equal(e.boardings, 2);
    assert.equal(e.alightings, 1);
    assert.deepEqual(e.doors, [
      { door: 1, boardings: 0, alightings: 1 },
      { door: 2, boardings: 2, alightings: 0 },
    ]);
    assert.equal(e.arrival, 1000);
    assert.equal(e.departure, 20_000);
    assert.equal(e.terminus, false);
  });

  it('keeps a door that re-opens within the grace time in the same stop', async () => {
    const { clock, assembler, events } = setup();
    assembler.handle({ type: 'door', at: 0, door: 1, open: true });
    assembler.handle({ type: 'door', at: 10_000, door: 1, open: false });
    await clock.advance(5000);
    assembler.handle({ type: 'door', at: 5000, door: 1, open: true });
    assembler.handle({ type: 'passage', at: 6000, door: 1, direction: 'in' });
    assembler.handle({ type: 'door', at: 8000, door: 1, open: false });
    await clock.advance(30_000);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.boardings, 1);
  });

  it('does not count passages through a closed door', async () => {
    const { clock, assembler, events } = setup();
    assembler.handle({ type: 'passage', at: 0, door: 1, direction: 'in' });
    assembler.handle({ type: 'door', at: 100, door: 1, open: true });
    assembler.handle({ type: 'passage', at: 200, door: 2, direction: 'in' });
    assembler.handle({ type: 'door', at: 300, door: 1, open: false });
    await clock.advance(20_000);
    assert.equal(events[0]!.boardings, 0);
    assert.equal(assembler.counters.passagesWhileClosed, 2);
  });

  it('marks a terminus when the trip changes during the stop and reports faults seen', async () => {
    const { clock, assembler, events } = setup();
    assembler.handle({ type: 'trip', at: 0, line: 5, course: 2, destination: 51, stop: 10 });
    assembler.handle({ type: 'door', at: 0, door: 1, open: true });
    assembler.handle({ type: 'passage', at: 100, door: 1, direction: 'out' });
    assembler.handle({ type: 'fault', at: 150, sensor: 'beam', door: 1, active: true, reason: 'blocked' });
    assembler.handle({ type: 'trip', at: 200, line: 5, course: 2, destination: 52, stop: 1 });
    assembler.handle({ type: 'passage', at: 300, door: 1, direction: 'in' });
    assembler.handle({ type: 'door', at: 400, door: 1, open: false });
    await clock.advance(20_000);
    const e = events[0]!;
    assert.equal(e.terminus, true);
    assert.equal(e.stop, 10, 'the stop where the doors opened');
    assert.equal(e.trip.destination, 52, 'the trip the vehicle departs on');
    assert.deepEqual(e.faults, ['beam']);
  });

  it('does not take the trip heard one telegram at a time for a new trip, but a change of any known field', async () => {
    const { clock, assembler, events } = setup();
    const stopAt = async (t: number) => {
      assembler.handle({ type: 'door', at: t, door: 1, open: true });
      assembler.handle({ type: 'passage', at: t + 100, door: 1, direction: 'in' });
      assembler.handle({ type: 'door', at: t + 400, door: 1, open: false });
      await clock.advance(20_000);
    };
    // As the IBIS reader hands them on at a gateway start: line, then course, then destination.
    assembler.handle({ type: 'trip', at: 0, line: 5 });
    assembler.handle({ type: 'trip', at: 0, course: 2 });
    assembler.handle({ type: 'trip', at: 0, destination: 51, stop: 1 });
    await stopAt(clock.now());
    assembler.handle({ type: 'trip', at: clock.now(), course: 3 });
    await stopAt(clock.now());
    assert.deepEqual(events.map((e) => e.terminus), [false, true]);
    assert.equal(events[1]!.trip.course, 3);
  });
});

