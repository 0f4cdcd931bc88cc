import assert from 'node:assert/strict';
import { Rng } from '../../common/random.js';
import { mean } from '../../common/stats.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 5 }, () => a.nextUint32());
    const sb = Array.from({ length: 5 }, () => b.nextUint32());
    const sc = Array.from({ length: 5 }, () => c.nextUint32());
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
  });

  it('forks independent, reproducible streams by name', () => {
    const x1 = new Rng(7).fork('tram-661').next();
    const x2 = new Rng(7).fork('tram-661').next();
    const y = new Rng(7).fork('tram-662').next();
    assert.equal(x1, x2);
    assert.notEqual(x1, y);
  });

  it('draws Poisson and binomial counts with the right means', () => {
    const rng = new Rng(1);
    const p = Array.from({ length: 20000 }, () => rng.poisson(3.5));
    const b = Array.from({ length: 20000 }, () => rng.binomial(40, 0.25));
    assert.ok(Math.abs(mean(p) - 3.5) < 0.08, `poisson mean ${mean(p)}`);
    assert.ok(Math.abs(mean(b) - 10) < 0.15, `binomial mean ${mean(b)}`);
    assert.ok(p.every((v) => Number.isInteger(v) && v >= 0));
  });
});
