import assert from 'node:assert/strict';
import { zonedTimeToEpoch } from '../../../common/time.js';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';
import type { SensorFaultEvent } from '../../../contracts/source-events.js';
import { oneTramHour as hourOfLine5, runAtDepth as run } from '../../../simulator/day-run/door-depth.js';

describe('door board at device depth against event depth', function () {
  this.timeout(60_000);

  it('the assembler gets the same stop events from the bytes as from the world events (seed 7)', async () => {
    const scenario = hourOfLine5(7);
    const events = await run(scenario, 'event');
    const device = await run(scenario, 'device', { maxChunk: 2 });
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
    const device = await run(scenario, 'device', { timing: { reconnectMaxMs: 4000 }, maxChunk: 2 });
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
