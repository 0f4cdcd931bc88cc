import assert from 'node:assert/strict';
import { Rng } from '../../common/random.js';
import { countNodes, predictGbdt, trainGbdt, type Dataset } from '../../models/training/gbdt.js';

function synthetic(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const F = 4;
  const x = new Float32Array(n * F);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) x[i * F + f] = rng.next();
    y[i] = 2 * x[i * F]! + (x[i * F + 1]! > 0.5 ? 1 : 0) + 0.05 * rng.normal();
  }
  return { x, y, featureCount: F };
}

const PARAMS = { trees: 60, depth: 4, learningRate: 0.2, minLeaf: 10, lambda: 1, subsample: 0.9, bins: 64, seed: 3 };

describe('gradient-boosted trees', () => {
  it('learns a known function to the noise level on unseen rows', () => {
    const model = trainGbdt(synthetic(8000, 1), PARAMS);
    const test = synthetic(1000, 2);
    let mae = 0;
    for (let i = 0; i < 1000; i++) mae += Math.abs(predictGbdt(model, test.x, i * 4) - test.y[i]!);
    assert.ok(mae / 1000 < 0.08, `MAE ${mae / 1000}`);
    assert.ok(countNodes(model) > 60);
  });

  it('is deterministic for a seed', () => {
    const a = trainGbdt(synthetic(2000, 4), PARAMS);
    const b = trainGbdt(synthetic(2000, 4), PARAMS);
    assert.deepEqual(a, b);
  });

  it('splits with float32 thresholds, `x <= t` to the left (as ONNX BRANCH_LEQ)', () => {
    const model = trainGbdt(synthetic(3000, 5), PARAMS);
    const walk = (node: (typeof model.trees)[number]): void => {
      if ('leaf' in node) return assert.equal(node.leaf, Math.fround(node.leaf));
      assert.equal(node.threshold, Math.fround(node.threshold));
      walk(node.left);
      walk(node.right);
    };
    model.trees.forEach(walk);
  });

  it('refuses more bins than a byte holds', () => {
    assert.throws(() => trainGbdt(synthetic(100, 6), { ...PARAMS, bins: 300 }), /256 bins/);
  });
});
