import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ReplayTrip } from '../../../simulator/demand/replay-trip.js';
import { balanceTrip, runningLoads, scaleToTotal } from '../../../simulator/demand/trip-balance.js';

function trip(counts: [number, number][]): ReplayTrip {
  return {
    date: '20121001',
    line: '12',
    tripId: 'X',
    direction: 0,
    stops: counts.map(([boardings, alightings], i) => ({
      seq: i + 1,
      stopId: `S${i}`,
      stopName: '',
      arrival: i * 60_000,
      arrivalText: '',
      boardings,
      alightings,
      reportedLoad: undefined,
    })),
    flags: [],
    balance: counts.reduce((n, [b, a]) => n + b - a, 0),
  };
}

const counts = (t: ReplayTrip): [number, number][] => t.stops.map((s) => [s.boardings, s.alightings]);

describe('balanceTrip', () => {
  it('leaves a consistent trip alone', () => {
    const r = balanceTrip(trip([[3, 0], [2, 1], [0, 4]]));
    assert.equal(r.changed, false);
    assert.deepEqual(counts(r.trip), [[3, 0], [2, 1], [0, 4]]);
    assert.deepEqual(r.trip.flags, []);
  });

  it('clamps alightings to the load, drops boardings at the end, empties the tram at the last stop', () => {
    const input = trip([[1, 2], [2, 5], [4, 0], [3, 1]]);
    const r = balanceTrip(input);
    // Alighting comes before boarding: at stop 2 only the one passenger on board can leave.
    assert.deepEqual(counts(r.trip), [[1, 0], [2, 1], [4, 0], [0, 6]]);
    assert.equal(r.alightingsRemoved, 2 + 4);
    assert.equal(r.alightingsAdded, 5);
    assert.equal(r.boardingsRemoved, 3);
    assert.deepEqual(r.trip.flags, ['balanced']);
    assert.deepEqual(counts(input), [[1, 2], [2, 5], [4, 0], [3, 1]], 'input untouched');
  });

  it('scales alightings to the boardings in proportional mode', () => {
    const r = balanceTrip(trip([[10, 0], [0, 2], [0, 2]]), 'proportional');
    assert.deepEqual(counts(r.trip), [[10, 0], [0, 5], [0, 5]]);
  });

  it('always gives a load that never dips below zero and ends at zero', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(50)), { minLength: 1, maxLength: 30 }), fc.constantFrom('clamp' as const, 'proportional' as const), (c, method) => {
        const r = balanceTrip(trip(c), method);
        const loads = runningLoads(r.trip.stops);
        assert.ok(loads.every((l) => l >= 0));
        assert.equal(loads.at(-1), 0);
        assert.equal(r.trip.stops.at(-1)!.boardings, 0);
        r.trip.stops.slice(0, -1).forEach((s, i) => assert.equal(s.boardings, c[i]![0]));
      }),
    );
  });

  it('scaleToTotal hits the total exactly', () => {
    assert.deepEqual(scaleToTotal([1, 1, 1], 10), [4, 3, 3]);
    assert.deepEqual(scaleToTotal([0, 0], 5), [0, 0]);
    fc.assert(
      fc.property(fc.array(fc.nat(100), { minLength: 1, maxLength: 20 }), fc.nat(1000), (v, total) => {
        const out = scaleToTotal(v, total);
        const sum = v.reduce((a, b) => a + b, 0);
        assert.equal(out.reduce((a, b) => a + b, 0), sum > 0 ? total : 0);
      }),
    );
  });
});
