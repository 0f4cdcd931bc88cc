import assert from 'node:assert/strict';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';
import { clampLoad, RunningSumEstimator } from '../../../gateway/estimation/estimator.js';
import { gtfsOccupancyStatus, GtfsOccupancyStatus, Level, levelFor, occupancyTenths } from '../../../contracts/occupancy-levels.js';

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

describe('levels', () => {
  it('maps loads to the three Halle levels by the thresholds given', () => {
    const t = { medium: 25, high: 73 };
    assert.deepEqual([0, 24, 25, 72, 73].map((l) => levelFor(l, t)), [Level.LEVEL_LOW, Level.LEVEL_LOW, Level.LEVEL_MEDIUM, Level.LEVEL_MEDIUM, Level.LEVEL_HIGH]);
  });

  it('maps to GTFS-Realtime occupancy status and coarse percentages', () => {
    assert.equal(gtfsOccupancyStatus(0, 50, 118), GtfsOccupancyStatus.EMPTY);
    assert.equal(gtfsOccupancyStatus(10, 50, 118), GtfsOccupancyStatus.MANY_SEATS_AVAILABLE);
    assert.equal(gtfsOccupancyStatus(40, 50, 118), GtfsOccupancyStatus.FEW_SEATS_AVAILABLE);
    assert.equal(gtfsOccupancyStatus(60, 50, 118), GtfsOccupancyStatus.STANDING_ROOM_ONLY);
    assert.equal(gtfsOccupancyStatus(100, 50, 118), GtfsOccupancyStatus.CRUSHED_STANDING_ROOM_ONLY);
    assert.equal(gtfsOccupancyStatus(130, 50, 118), GtfsOccupancyStatus.FULL);
    assert.equal(gtfsOccupancyStatus(undefined, 50, 118), GtfsOccupancyStatus.NO_DATA_AVAILABLE);
    assert.equal(occupancyTenths(59, 118), 5);
    assert.equal(occupancyTenths(1000, 118), 30);
  });
});
