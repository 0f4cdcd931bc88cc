import assert from 'node:assert/strict';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';
import { clampLoad, RunningSumEstimator } from '../../../gateway/estimation/estimator.js';

function stop(boardings: number, alightings: number, terminus = false): StopEvent {
  return { stop: 1, trip: { line: 5, course: 1, destination: 51 }, arrival: 0, departure: 1, doors: [], boardings, alightings, terminus, faults: [] };
}

describe('RunningSumEstimator', () => {
  it('sums ins minus outs, never below zero, and resets at the terminus', () => {
    const est = new RunningSumEstimator({ seats: 50, capacity: 118 });
    assert.equal(est.next(stop(10, 0)).load, 10);
    assert.equal(est.next(stop(5, 3)).load, 12);
    assert.equal(est.next(stop(0, 20)).load, 0, 'clamped at zero');
    assert.equal(est.next(stop(7, 0)).load, 7);
    assert.equal(est.next(stop(4, 9, true)).load, 4, 'terminus: the load is the new trip\'s boardings');
  });

  it('never reports beyond twice the design capacity', () => {
    const est = new RunningSumEstimator({ seats: 50, capacity: 118 });
    assert.equal(est.next(stop(500, 0)).load, 236);
    assert.equal(clampLoad(Number.NaN, 100), 0);
  });

  it('flags low confidence when a door sensor was faulted', () => {
    const est = new RunningSumEstimator({ seats: 50, capacity: 118 });
    assert.equal(est.next({ ...stop(1, 0), faults: ['beam'] }).lowConfidence, true);
    assert.equal(est.next(stop(1, 0)).lowConfidence, false);
  });
});
