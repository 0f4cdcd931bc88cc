import assert from 'node:assert/strict';
import { gtfsOccupancyStatus, GtfsOccupancyStatus, LEVEL_NAMES, Level, levelFor, occupancyTenths } from '../../contracts/occupancy-levels.js';

describe('occupancy levels (contract)', () => {
  it('maps loads to the three Halle levels by the thresholds given', () => {
    const t = { medium: 25, high: 73 };
    assert.deepEqual([0, 24, 25, 72, 73].map((l) => levelFor(l, t)), [Level.LEVEL_LOW, Level.LEVEL_LOW, Level.LEVEL_MEDIUM, Level.LEVEL_MEDIUM, Level.LEVEL_HIGH]);
    assert.equal(LEVEL_NAMES[Level.LEVEL_HIGH], 'stark besetzt');
  });

  it('gives the load share of capacity in tenths, capped at 300 %', () => {
    assert.equal(occupancyTenths(0, 118), 0);
    assert.equal(occupancyTenths(59, 118), 5);
    assert.equal(occupancyTenths(1000, 118), 30);
  });

  it('maps a reported level and load share to one GTFS-Realtime status', () => {
    assert.equal(gtfsOccupancyStatus(Level.LEVEL_LOW, 0), GtfsOccupancyStatus.EMPTY);
    assert.equal(gtfsOccupancyStatus(Level.LEVEL_LOW, 2), GtfsOccupancyStatus.MANY_SEATS_AVAILABLE);
    assert.equal(gtfsOccupancyStatus(Level.LEVEL_MEDIUM, 4), GtfsOccupancyStatus.FEW_SEATS_AVAILABLE);
    assert.equal(gtfsOccupancyStatus(Level.LEVEL_HIGH, 7), GtfsOccupancyStatus.STANDING_ROOM_ONLY);
    assert.equal(gtfsOccupancyStatus(Level.LEVEL_HIGH, 9), GtfsOccupancyStatus.CRUSHED_STANDING_ROOM_ONLY);
    assert.equal(gtfsOccupancyStatus(Level.LEVEL_HIGH, 11), GtfsOccupancyStatus.FULL);
    assert.equal(gtfsOccupancyStatus(Level.LEVEL_UNKNOWN, 3), GtfsOccupancyStatus.NO_DATA_AVAILABLE);
  });
});
