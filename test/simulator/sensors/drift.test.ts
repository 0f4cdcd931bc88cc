import assert from 'node:assert/strict';
import { Rng } from '../../../common/random.js';
import { CameraModel } from '../../../simulator/sensors/camera-model.js';
import { DoorCounterModel } from '../../../simulator/sensors/door-counter-model.js';
import { driftScale } from '../../../simulator/sensors/drift.js';

const FROM = Date.UTC(2026, 10, 23, 4, 0, 0);
const TO = FROM + 18 * 3_600_000;

describe('sensor drift during the day', () => {
  it('scales linearly from 1 at the start to the factor at the end, and not outside the day', () => {
    const d = { from: FROM, to: TO, factor: 3 };
    assert.equal(driftScale(d, FROM - 1e6), 1);
    assert.equal(driftScale(d, (FROM + TO) / 2), 2);
    assert.equal(driftScale(d, TO + 1e6), 3);
    assert.equal(driftScale(undefined, TO), 1);
  });

  it('makes a door counter miss more people as the day goes on', () => {
    const doors = new DoorCounterModel({ missBase: 0.02, missClose: 0, doubleCrowd: 0, closeGapMs: 800, drift: { from: FROM, to: TO, factor: 3 } }, new Rng(5));
    const missed = (start: number) => {
      let n = 0;
      // People walking alone, 1 s apart (not close behind each other), for 83 minutes.
      for (let i = 0; i < 5_000; i++) n += doors.observe({ at: start + i * 1_000, door: 1, direction: 'in' }) === 0 ? 1 : 0;
      return n / 5_000;
    };
    const morning = missed(FROM);
    const evening = missed(TO);
    assert.ok(Math.abs(morning - 0.022) < 0.006, `morning ${morning}`);
    assert.ok(Math.abs(evening - 0.06) < 0.012, `evening ${evening}`);
  });

  it('makes a camera noisier and undercount more as the day goes on', () => {
    const camera = new CameraModel({ onset: 0.3, crowdUndercount: 0.1, noiseSd: 1, noiseShare: 0, drift: { from: FROM, to: TO, factor: 2 } }, new Rng(6));
    const stats = (at: number) => {
      const xs = Array.from({ length: 4000 }, () => camera.count(100, 100, at).heads);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { mean: m, sd: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) };
    };
    const morning = stats(FROM);
    const evening = stats(TO);
    assert.ok(Math.abs(morning.mean - 90) < 0.3 && Math.abs(evening.mean - 80) < 0.3, `${morning.mean} -> ${evening.mean}`);
    assert.ok(evening.sd > 1.7 * morning.sd, `${morning.sd} -> ${evening.sd}`);
    assert.equal(new CameraModel({ onset: 0.3, crowdUndercount: 0.1, noiseSd: 0, noiseShare: 0 }, new Rng(1)).count(100, 100, TO).heads, 90, 'no drift without a drift');
  });
});
