import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../../common/errors.js';
import { Rng } from '../../../common/random.js';
import { loadDemandCalibration } from '../../../simulator/demand/calibration-schema.js';
import { CalibratedDemand, type StopVisitContext } from '../../../simulator/demand/demand-model.js';
import { modelVarianceToMean } from '../../../simulator/demand/dispersion.js';
import { localToEpochMs } from '../../../common/time.js';

const calibration = loadDemandCalibration();
// Tuesday 4 March 2025 in Halle.
const at = (h: number, m = 0): number => localToEpochMs(2025, 3, 4, h * 3600 + m * 60, 'Europe/Berlin');

function ctx(over: Partial<StopVisitContext> = {}): StopVisitContext {
  return {
    time: at(12),
    lineId: '5',
    direction: 0,
    stopIndex: 4,
    stopCount: 10,
    stopWeight: 1,
    stopId: 'MARK',
    sinceLastDepartureMs: 10 * 60_000,
    onBoard: 40,
    capacity: 172,
    isTerminus: false,
    ...over,
  };
}

const boarded = (groups: number[]): number => groups.reduce((a, b) => a + b, 0);

describe('CalibratedDemand', () => {
  it('gives the same draws for the same seed, other draws for another', () => {
    const run = (seed: number): unknown[] => {
      const model = new CalibratedDemand(calibration);
      const rng = new Rng(seed);
      return Array.from({ length: 300 }, (_, i) => model.visit(ctx({ time: at(6 + (i % 16)), stopIndex: i % 9, stopId: `S${i % 9}` }), rng));
    };
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11), run(12));
  });

  it('empties the tram at the terminus and boards nobody there', () => {
    const d = new CalibratedDemand(calibration).visit(ctx({ stopIndex: 9, isTerminus: true, onBoard: 57 }), new Rng(1));
    assert.deepEqual(d, { alightings: 57, boardingGroups: [], leftBehind: 0 });
  });

  it('boards nobody at the last stop and most where a trip starts', () => {
    const model = new CalibratedDemand(calibration, { stopFactorSpread: 0 });
    const first = model.expectedBoardings(ctx({ stopIndex: 0 }));
    const middle = model.expectedBoardings(ctx({ stopIndex: 5 }));
    const late = model.expectedBoardings(ctx({ stopIndex: 8 }));
    assert.equal(model.expectedBoardings(ctx({ stopIndex: 9 })), 0);
    assert.ok(first > middle && middle > late, `${first} > ${middle} > ${late}`);
    assert.equal(model.alightingProbability(ctx({ stopIndex: 0 })), 0);
    assert.equal(model.alightingProbability(ctx({ stopIndex: 9 })), 1);
  });

  it('never boards more than the room left, and the left-behind board the next tram first', () => {
    const model = new CalibratedDemand(calibration, { scale: 4 });
    const rng = new Rng(3);
    const crowded = ctx({ time: at(7, 45), onBoard: 160, capacity: 172, sinceLastDepartureMs: 20 * 60_000 });
    const d1 = model.visit(crowded, rng);
    assert.ok(boarded(d1.boardingGroups) <= 172 - (160 - d1.alightings));
    assert.ok(d1.leftBehind > 0, 'somebody was left behind');
    assert.equal(model.waitingAt(crowded), d1.leftBehind);
    const d2 = model.visit({ ...crowded, time: crowded.time + 60_000, sinceLastDepartureMs: 60_000, onBoard: 0, capacity: 500 }, rng);
    assert.ok(boarded(d2.boardingGroups) >= d1.leftBehind);
    assert.equal(d2.leftBehind, 0);
    assert.equal(model.stats().refused, d1.leftBehind);
  });

  it('keeps every visit inside the capacity (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.nat(),
          hour: fc.integer({ min: 4, max: 23 }),
          stopIndex: fc.nat(8),
          onBoard: fc.nat(300),
          capacity: fc.nat(300),
          waitMin: fc.integer({ min: 0, max: 60 }),
          scale: fc.double({ min: 0, max: 10, noNaN: true }),
        }),
        (p) => {
          const model = new CalibratedDemand(calibration, { scale: p.scale });
          const c = ctx({ time: at(p.hour), stopIndex: p.stopIndex, onBoard: p.onBoard, capacity: p.capacity, sinceLastDepartureMs: p.waitMin * 60_000 });
          const d = model.visit(c, new Rng(p.seed));
          assert.ok(d.alightings >= 0 && d.alightings <= p.onBoard);
          assert.ok(boarded(d.boardingGroups) <= Math.max(0, p.capacity - (p.onBoard - d.alightings)));
          assert.ok(d.boardingGroups.every((g) => Number.isInteger(g) && g >= 1 && g <= calibration.groups.sizeTable.length));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lets those left behind give up after their patience', () => {
    const model = new CalibratedDemand(calibration, { scale: 4, patienceMs: 5 * 60_000 });
    const rng = new Rng(9);
    const full = ctx({ time: at(8), onBoard: 172, capacity: 172, sinceLastDepartureMs: 15 * 60_000 });
    const d1 = model.visit(full, rng);
    assert.ok(d1.leftBehind > 0);
    model.visit({ ...full, time: full.time + 10 * 60_000, sinceLastDepartureMs: 0, onBoard: 0, capacity: 1000 }, rng);
    assert.equal(model.stats().gaveUp, d1.leftBehind);
  });

  it('shows the time-of-day profile in the mean boardings: peaks against the night', () => {
    const model = new CalibratedDemand(calibration, { stopFactorSpread: 0 });
    const mean = (time: number): number => {
      const rng = new Rng(21);
      let n = 0;
      for (let i = 0; i < 4000; i++) n += boarded(model.visit(ctx({ time, onBoard: 0, capacity: 10_000 }), rng).boardingGroups);
      return n / 4000;
    };
    const morning = mean(at(7, 45));
    const midday = mean(at(11, 15));
    const evening = mean(at(17, 15));
    const night = mean(at(23, 45));
    assert.ok(morning > 1.5 * midday, `morning ${morning} vs midday ${midday}`);
    assert.ok(evening > 1.5 * midday, `evening ${evening} vs midday ${midday}`);
    assert.ok(midday > 3 * night, `midday ${midday} vs night ${night}`);
    const weekend = new CalibratedDemand(calibration, { stopFactorSpread: 0, dayType: 'weekend' });
    assert.ok(weekend.expectedBoardings(ctx({ time: at(7, 45) })) < 0.5 * model.expectedBoardings(ctx({ time: at(7, 45) })));
  });

  it('draws the calibrated rate on a long run, with the calibrated variance/mean', () => {
    const model = new CalibratedDemand(calibration, { stopFactorSpread: 0 });
    const c = ctx({ time: at(12, 10), onBoard: 0, capacity: 10_000, stopIndex: 5, stopWeight: 1.5 });
    const bin = calibration.timeOfDay.weekday.ratePerMinute[24]!;
    const want = bin * 10 * calibration.position.boardingIntensity[6]! * 1.5;
    assert.ok(Math.abs(model.expectedBoardings(c) - want) < 1e-9, 'rate x wait x position x weight');
    const rng = new Rng(77);
    const draws = Array.from({ length: 20_000 }, () => boarded(model.visit(c, rng).boardingGroups));
    const m = draws.reduce((a, b) => a + b, 0) / draws.length;
    const v = draws.reduce((a, b) => a + (b - m) ** 2, 0) / (draws.length - 1);
    assert.ok(Math.abs(m / want - 1) < 0.03, `mean ${m} vs ${want}`);
    const vm = modelVarianceToMean(calibration.groups.sizeTable, { ...calibration.groups.bursts, rateNoiseCv2: calibration.groups.rateNoiseCv2 }, want);
    assert.ok(Math.abs(v / m / vm - 1) < 0.15, `var/mean ${v / m} vs ${vm}`);
  });

  it('scales demand, caps the wait, and fixes each stop its own factor of mean 1', () => {
    const one = new CalibratedDemand(calibration, { stopFactorSpread: 0 });
    const two = new CalibratedDemand(calibration, { stopFactorSpread: 0, scale: 2 });
    assert.ok(Math.abs(two.expectedBoardings(ctx()) - 2 * one.expectedBoardings(ctx())) < 1e-9);
    assert.equal(one.expectedBoardings(ctx({ sinceLastDepartureMs: Infinity })), one.expectedBoardings(ctx({ sinceLastDepartureMs: 30 * 60_000 })));
    const drawn = new CalibratedDemand(calibration, { stopFactorSpread: 1 });
    assert.equal(drawn.stopFactor('MARK'), new CalibratedDemand(calibration, { stopFactorSpread: 1 }).stopFactor('MARK'));
    assert.notEqual(drawn.stopFactor('MARK'), drawn.stopFactor('RIEB'));
    const factors = Array.from({ length: 4000 }, (_, i) => drawn.stopFactor(`stop-${i}`));
    const mean = factors.reduce((a, b) => a + b, 0) / factors.length;
    assert.ok(Math.abs(mean - 1) < 0.1, `mean stop factor ${mean}`);
    assert.ok(Math.max(...factors) / Math.min(...factors) > 10, 'hubs and quiet stops');
  });

  it('refuses bad options and bad visits with clear errors', () => {
    assert.throws(() => new CalibratedDemand(calibration, { scale: -1 }), (e: unknown) => e instanceof ConfigError && e.field === 'scale');
    assert.throws(() => new CalibratedDemand(calibration, { timeZone: 'Atlantis/Capital' }), ConfigError);
    const model = new CalibratedDemand(calibration);
    assert.throws(() => model.visit(ctx({ onBoard: -1 }), new Rng(1)), RangeError);
    assert.throws(() => model.visit(ctx({ stopIndex: 10 }), new Rng(1)), RangeError);
  });
});
