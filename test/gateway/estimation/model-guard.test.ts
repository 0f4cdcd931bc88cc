import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GUARD_MARGIN, GUARD_MIN_TRIP_ENDS, GUARD_Z, ModelGuard, tripEndReference } from '../../../gateway/estimation/model-guard.js';

describe('ModelGuard', () => {
  it('hands over to the running sum when the model does worse at trip ends, and back when it does as well', () => {
    const g = new ModelGuard();
    for (let i = 0; i < GUARD_MIN_TRIP_ENDS - 1; i++) assert.equal(g.tripEnd(14, 10, 10), undefined, 'not before enough trip ends');
    assert.equal(g.fallback, false);
    assert.equal(g.tripEnd(14, 10, 10), 'to-running-sum');
    assert.equal(g.fallback, true);
    assert.deepEqual(g.errors, { model: 4, runningSum: 0 });
    let back: string | undefined;
    for (let i = 0; i < 60 && !back; i++) back = g.tripEnd(10, 13, 10);
    assert.equal(back, 'to-model');
    assert.equal(g.fallback, false);
    assert.ok(g.errors.model <= g.errors.runningSum);
  });

  it('keeps the model when it is worse by less than the margin', () => {
    const g = new ModelGuard();
    for (let i = 0; i < 30; i++) g.tripEnd(10 + GUARD_MARGIN * 0.8, 10, 10);
    assert.equal(g.fallback, false);
  });

  it('does not hand over on noisy trip ends whose excess is within its spread, but does on the same excess seen steadily', () => {
    // Alternate trip ends: the model off by 5 with the running sum exact, then the model exact with the running sum off by 3.4.
    // Mean excess about 0.8 passengers, above the margin, but its spread is some 4 passengers a trip end.
    const noisy = new ModelGuard();
    let excessSeen = 0;
    for (let i = 0; i < 40; i++) {
      noisy.tripEnd(i % 2 ? 10 : 15, i % 2 ? 13.4 : 10, 10);
      excessSeen = Math.max(excessSeen, noisy.excess.mean);
    }
    assert.ok(excessSeen > GUARD_MARGIN, `the excess (${excessSeen}) rose above the margin, which alone used to hand over`);
    assert.equal(noisy.fallback, false);
    assert.ok(noisy.excess.standardError * GUARD_Z > noisy.excess.mean);
    const steady = new ModelGuard();
    let change: string | undefined;
    for (let i = 0; i < 40 && !change; i++) change = steady.tripEnd(10.8, 10, 10);
    assert.equal(change, 'to-running-sum');
    assert.ok(steady.excess.standardError < 1e-6 && steady.excess.mean > GUARD_MARGIN);
  });

  it('judges a state stored before it kept the spread by the margin alone until trip ends fill it', () => {
    const old = { version: 1, tripEnds: 20, weight: 10, modelError: 40, sumError: 10, fallback: false };
    const g = new ModelGuard(old);
    assert.equal(g.snapshot().diffSquares, 0);
    assert.equal(g.tripEnd(14, 10, 10), 'to-running-sum', 'an excess of 3 passengers with no spread known');
  });

  it('takes a sparse camera on arrival as the reference, else the calibrated alightings', () => {
    const base = { alightings: 18, capacity: 100, inOutRatio: 0.9, cameraScale: 1.1, doorFault: false };
    assert.equal(tripEndReference({ ...base, cameraBefore: 12 }), 12);
    assert.ok(Math.abs(tripEndReference({ ...base, cameraBefore: 2 })! - 22) < 1e-9, 'a near-empty count is biased by noise clipped at zero: the alightings decide');
    assert.ok(Math.abs(tripEndReference({ ...base, cameraBefore: 40 })! - 22) < 1e-9, 'crowded: 18 x 1.1 / 0.9');
    assert.ok(Math.abs(tripEndReference({ ...base, cameraBefore: undefined })! - 22) < 1e-9);
    assert.equal(tripEndReference({ ...base, cameraBefore: undefined, doorFault: true }), undefined, 'no evidence');
  });

  it('restores its state and survives anything stored', () => {
    const g = new ModelGuard();
    for (let i = 0; i < 8; i++) g.tripEnd(20, 10, 10);
    const again = new ModelGuard(JSON.parse(JSON.stringify(g.snapshot())));
    assert.equal(again.fallback, true);
    assert.deepEqual(again.errors, g.errors);
    fc.assert(
      fc.property(fc.anything(), fc.array(fc.tuple(fc.double(), fc.double(), fc.double()), { maxLength: 20 }), (stored, ends) => {
        const x = new ModelGuard(stored);
        for (const [m, s, r] of ends) x.tripEnd(m, s, r);
        const e = x.errors;
        assert.ok(Number.isFinite(e.model) && Number.isFinite(e.runningSum) && e.model >= 0 && e.runningSum >= 0);
        const d = x.excess;
        assert.ok(Number.isFinite(d.mean) && Number.isFinite(d.standardError) && d.standardError >= 0);
        assert.equal(typeof x.fallback, 'boolean');
      }),
      { numRuns: 300 },
    );
  });
});
