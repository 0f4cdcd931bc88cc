import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';
import { FEATURE_INDEX, FeatureBuilder } from '../../../gateway/estimation/features.js';
import { RATIO_BOUNDS, SCALE_BOUNDS, SelfCalibration } from '../../../gateway/estimation/self-calibration.js';

const T = Date.UTC(2026, 10, 23, 6, 30, 0);
function stop(doors: Array<[number, number]>, extra: Partial<StopEvent> = {}): StopEvent {
  const d = doors.map(([boardings, alightings], i) => ({ door: i + 1, boardings, alightings }));
  return {
    stop: 1, trip: { line: 5, course: 1, destination: 51 }, arrival: T, departure: T, doors: d,
    boardings: d.reduce((s, x) => s + x.boardings, 0), alightings: d.reduce((s, x) => s + x.alightings, 0), terminus: false, faults: [], ...extra,
  };
}

describe('SelfCalibration', () => {
  it('starts with no correction and learns the outs counted per in from whole trips', () => {
    const cal = new SelfCalibration();
    assert.deepEqual([cal.inOutRatio, cal.cameraScale, cal.trips], [1, 1, 0]);
    // Door 2 misses a fifth of the people leaving through it; door 1 counts well.
    for (let t = 0; t < 30; t++) cal.tripEnded({ boardings: 200, alightings: 180, doors: [{ boardings: 100, alightings: 100 }, { boardings: 100, alightings: 80 }] });
    assert.equal(cal.trips, 30);
    assert.ok(Math.abs(cal.inOutRatio - 0.9) < 0.01, `ratio ${cal.inOutRatio}`);
    const worst = cal.worstDoor();
    assert.equal(worst?.door, 2);
    assert.ok(Math.abs(worst!.ratio - 0.8) < 0.02, `door 2 ratio ${worst!.ratio}`);
    // ins minus outs scaled to match them: 100 in, 45 out counted -> 100 - 50
    assert.ok(Math.abs(cal.balancedSum(100, 45) - 50) < 1);
  });

  it('follows drift: recent trips weigh more than old ones', () => {
    const cal = new SelfCalibration();
    for (let t = 0; t < 20; t++) cal.tripEnded({ boardings: 200, alightings: 200, doors: [] });
    for (let t = 0; t < 15; t++) cal.tripEnded({ boardings: 200, alightings: 170, doors: [] });
    assert.ok(cal.inOutRatio < 0.88, `moved to the new imbalance: ${cal.inOutRatio}`);
  });

  it('ignores trips too small to say anything', () => {
    const cal = new SelfCalibration();
    assert.equal(cal.tripEnded({ boardings: 3, alightings: 0, doors: [] }), false);
    assert.equal(cal.trips, 0);
  });

  it('scales the doors to the camera at quiet moments only', () => {
    const cal = new SelfCalibration();
    // The doors miss 10 % both ways: a balanced sum of 9 where the camera sees 10.
    for (let i = 0; i < 300; i++) assert.equal(cal.departure(10, 10, 9, 100), true);
    assert.ok(Math.abs(cal.cameraScale - 10 / 9) < 0.01, `scale ${cal.cameraScale}`);
    // Crowded on arrival: heads merge, the camera is no reference.
    assert.equal(cal.departure(60, 40, 70, 100), false);
    assert.equal(cal.departure(2, 2, 1, 100), false, 'too few heads: noise clipped at zero biases the count');
    assert.ok(Math.abs(cal.correctedSum(100, 50) - (10 / 9) * 50) < 1);
  });

  it('stays bounded and finite whatever it is fed or restored from', () => {
    fc.assert(
      fc.property(
        fc.anything(),
        fc.array(fc.record({ b: fc.double(), a: fc.double(), before: fc.double(), after: fc.double(), sum: fc.double() }), { maxLength: 40 }),
        (stored, steps) => {
          const cal = new SelfCalibration(stored);
          for (const s of steps) {
            cal.tripEnded({ boardings: s.b, alightings: s.a, doors: [{ boardings: s.b, alightings: s.a }] });
            cal.departure(s.before, s.after, s.sum, 100);
          }
          const again = new SelfCalibration(JSON.parse(JSON.stringify(cal.snapshot())));
          for (const c of [cal, again]) {
            assert.ok(c.inOutRatio >= RATIO_BOUNDS[0] && c.inOutRatio <= RATIO_BOUNDS[1]);
            assert.ok(c.cameraScale >= SCALE_BOUNDS[0] && c.cameraScale <= SCALE_BOUNDS[1]);
            for (const d of c.doorQuality()) assert.ok(d.ratio >= RATIO_BOUNDS[0] && d.ratio <= RATIO_BOUNDS[1]);
            assert.ok(Number.isFinite(c.correctedSum(50, 20)) && c.correctedSum(50, 20) >= 0);
          }
          assert.equal(again.inOutRatio, cal.inOutRatio, 'a stored state comes back the same');
          assert.equal(again.cameraScale, cal.cameraScale);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('FeatureBuilder self-calibration', () => {
  const vehicle = { capacity: 100, seats: 40, timeZone: 'Europe/Berlin' };

  /**
   * A terminus (the last trip's 10 per door leave, 10 per door board), then a stop where 5 per door
   * board and 5 leave: 15 in and 15 out per door and trip, but door 2 misses `miss` of its outs.
   */
  function trip(fb: FeatureBuilder, miss: number, faults: StopEvent['faults'] = []) {
    fb.next(stop([[10, 10], [10, 10 - Math.round(10 * miss)]], { terminus: true }));
    fb.next(stop([[5, 5], [5, 5 - Math.round(5 * miss)]], { faults }));
  }

  it('learns from whole trips at the terminus, per door, and feeds the model', () => {
    const fb = new FeatureBuilder(vehicle);
    fb.next(stop([[4, 0]])); // joined mid-trip (after a restart): this trip is not whole
    for (let t = 0; t < 12; t++) trip(fb, 0.5);
    const last = fb.next(stop([[10, 10], [10, 5]], { terminus: true }));
    assert.equal(fb.calibration.trips, 12, 'the partial first trip is not counted');
    assert.ok(fb.calibration.inOutRatio < 0.95, `outs are missed: ${fb.calibration.inOutRatio}`);
    assert.equal(fb.calibration.worstDoor()?.door, 2);
    assert.ok(Math.abs(last.features[FEATURE_INDEX.cal_in_out]! - (fb.calibration.inOutRatio - 1)) < 1e-6);
    assert.ok(last.features[FEATURE_INDEX.cal_trips]! > 0.5);
    // Mid-trip the corrected sum adds back what the door-2 outs missed.
    const row = fb.next(stop([[0, 4], [0, 2]]));
    assert.equal(row.runningSum, 14);
    assert.ok(row.calibratedSum < row.runningSum, `corrected ${row.calibratedSum} below the running sum ${row.runningSum}: outs weigh more`);
  });

  it('leaves trips with a door fault out', () => {
    const fb = new FeatureBuilder(vehicle);
    trip(fb, 0);
    trip(fb, 0, ['beam']);
    fb.next(stop([[0, 0]], { terminus: true }));
    assert.equal(fb.calibration.trips, 1, 'only the trip without a fault');
  });

  it('learns the camera scale at quiet departures', () => {
    const fb = new FeatureBuilder(vehicle);
    fb.next(stop([[10, 0]], { terminus: true }));
    for (let i = 0; i < 80; i++) fb.next(stop([[0, 0]], { camera: { before: 12, after: 12, confidence: 0.95 } }));
    assert.ok(fb.calibration.cameraScale > 1.1, `the camera sees 12 where the doors say 10: ${fb.calibration.cameraScale}`);
    assert.equal(fb.calibration.quietMoments, 80);
  });
});
