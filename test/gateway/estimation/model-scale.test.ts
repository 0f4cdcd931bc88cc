import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MODEL_SCALE_BOUNDS, ModelScale } from '../../../gateway/estimation/model-scale.js';

const CAPACITY = 100;

/** Quiet departures (8 heads on arrival) where the camera sees `camera(i)` and the model said `model(i)`. */
function learn(scale: ModelScale, n: number, model: (i: number) => number, camera: (i: number) => number): void {
  for (let i = 0; i < n; i++) assert.equal(scale.departure(8, camera(i), model(i), CAPACITY), true);
}

describe('ModelScale', () => {
  it('corrects nothing before it has seen quiet moments', () => {
    const s = new ModelScale();
    assert.equal(s.factor, 1);
    assert.equal(s.apply(40), 40);
    learn(s, 5, () => 10, () => 12);
    assert.equal(s.factor, 1, 'five moments are not evidence');
  });

  it('learns by how much the model under- or overestimates against a camera counting quiet moments', () => {
    const under = new ModelScale();
    // The model says 95 % of what is there; the camera counts it with a head of noise either way.
    learn(under, 400, (i) => 0.95 * (10 + (i % 7)), (i) => 10 + (i % 7) + (i % 2 ? 1 : -1));
    assert.ok(Math.abs(under.factor - 1 / 0.95) < 0.01, `factor ${under.factor}`);
    assert.ok(Math.abs(under.apply(60) - 60 / 0.95) < 0.6);
    const over = new ModelScale();
    learn(over, 400, (i) => 1.04 * (10 + (i % 7)), (i) => 10 + (i % 7));
    assert.ok(over.factor < 0.97 && over.factor > 0.95, `factor ${over.factor}`);
  });

  it('does not apply a correction no larger than its own uncertainty (a noisy camera)', () => {
    const s = new ModelScale();
    // On average the camera agrees within 1 %, but each count is off by 6 heads either way.
    learn(s, 300, () => 12, (i) => 12.1 + (i % 2 ? 6 : -6));
    assert.equal(s.factor, 1);
    // The same noise with a clear 10 % offset is corrected, if less than all the way.
    const clear = new ModelScale();
    learn(clear, 300, () => 12, (i) => 13.2 + (i % 2 ? 6 : -6));
    assert.ok(clear.factor > 1.03 && clear.factor <= 1.1, `factor ${clear.factor}`);
  });

  it('learns only at quiet moments, and stays within its bounds', () => {
    const s = new ModelScale();
    assert.equal(s.departure(2, 10, 5, CAPACITY), false, 'near-empty counts are biased by noise clipped at zero');
    assert.equal(s.departure(16, 10, 5, CAPACITY), false, 'a busy saloon on arrival');
    assert.equal(s.departure(8, Number.NaN, 5, CAPACITY), false);
    assert.equal(s.moments, 0);
    learn(s, 500, () => 10, () => 20);
    assert.equal(s.factor, MODEL_SCALE_BOUNDS[1]);
    learn(s, 2000, () => 20, () => 5);
    assert.equal(s.factor, MODEL_SCALE_BOUNDS[0]);
  });

  it('restores its state and survives anything stored', () => {
    const s = new ModelScale();
    learn(s, 300, () => 10, (i) => 11 + (i % 3) - 1);
    const again = new ModelScale(JSON.parse(JSON.stringify(s.snapshot())));
    assert.equal(again.factor, s.factor);
    assert.equal(again.moments, 300);
    fc.assert(
      fc.property(fc.anything(), fc.array(fc.tuple(fc.double(), fc.double(), fc.double()), { maxLength: 20 }), (stored, moments) => {
        const x = new ModelScale(stored);
        for (const [b, a, m] of moments) x.departure(b, a, m, CAPACITY);
        assert.ok(x.factor >= MODEL_SCALE_BOUNDS[0] && x.factor <= MODEL_SCALE_BOUNDS[1], `factor ${x.factor}`);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.record({ version: fc.constant(1), moments: fc.double(), weight: fc.double(), camera: fc.double(), model: fc.double(), squares: fc.double() }), (stored) => {
        const f = new ModelScale(stored).factor;
        assert.ok(Number.isFinite(f) && f >= MODEL_SCALE_BOUNDS[0] && f <= MODEL_SCALE_BOUNDS[1], `factor ${f} from ${JSON.stringify(stored)}`);
      }),
      { numRuns: 500 },
    );
  });
});
