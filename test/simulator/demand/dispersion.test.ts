import assert from 'node:assert/strict';
import { Rng } from '../../../common/random.js';
import {
  burstMeanGroups,
  fitBurstsAndNoise,
  fitDispersion,
  fitGroupSizes,
  modelVarianceToMean,
  tableMoments,
  withinCellExpectations,
} from '../../../simulator/demand/dispersion.js';
import { drawFromTable, gammaMeanOne, geometricCount, quantileAt, uniformFromName } from '../../../simulator/demand/draws.js';

const TABLE = [0.7, 0.2, 0.06, 0.03, 0.01, 0];

function compound(rng: Rng, mean: number, table: number[]): number {
  const groups = rng.poisson(mean / tableMoments(table).mean);
  let n = 0;
  for (let g = 0; g < groups; g++) n += drawFromTable(rng, table) + 1;
  return n;
}

describe('dispersion and groups', () => {
  it('reads the group-size law back from quiet compound Poisson counts', () => {
    const rng = new Rng(4);
    const counts = Array.from({ length: 40_000 }, () => compound(rng, 0.05 + 0.2 * rng.next(), TABLE));
    const fit = fitGroupSizes(counts, 6);
    assert.equal(fit.events, 40_000);
    fit.table.forEach((p, i) => assert.ok(Math.abs(p - TABLE[i]!) < 0.03, `P(${i + 1}) ${p} vs ${TABLE[i]}`));
    assert.deepEqual(fitGroupSizes([0, 0, 0], 4).table, [1, 0, 0, 0]);
  });

  it('measures var/mean in classes of equal expected mean', () => {
    const rng = new Rng(5);
    const expected = Array.from({ length: 30_000 }, () => 0.2 * 2 ** (6 * rng.next()));
    const observed = expected.map((m) => compound(rng, m, TABLE));
    const fit = fitDispersion(expected, observed);
    const { mean, meanSquare } = tableMoments(TABLE);
    for (const c of fit.classes) assert.ok(Math.abs(c.varianceToMean - meanSquare / mean) < 0.25, `class ${c.meanExpected}: ${c.varianceToMean}`);
    assert.ok(Math.abs(fit.slope) < 0.02);
  });

  it('fits bursts and rate noise that give back the var/mean they were fitted on', () => {
    const truth = { maxMeanGroups: 1.8, scale: 0.5, rateNoiseCv2: 0.05 };
    const classes = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2].map((m) => ({
      meanExpected: m,
      meanObserved: m,
      varianceToMean: modelVarianceToMean(TABLE, truth, m),
      events: 1000,
    }));
    const fit = fitBurstsAndNoise(classes, TABLE);
    for (const c of classes) assert.ok(Math.abs(modelVarianceToMean(TABLE, fit, c.meanExpected) - c.varianceToMean) < 0.1);
    assert.ok(Math.abs(fit.maxMeanGroups - 1.8) < 0.1 && Math.abs(fit.rateNoiseCv2 - 0.05) < 0.01);
    assert.equal(burstMeanGroups(fit, 0), 1);
    const none = fitBurstsAndNoise(classes.map((c) => ({ ...c, varianceToMean: 0.5 })), TABLE);
    assert.deepEqual([none.maxMeanGroups, none.rateNoiseCv2], [1, 0]);
  });

  it('takes the expectation within a cell from the cell itself, with the n/(n-1) correction', () => {
    const cells = withinCellExpectations(['a', 'a', 'a', 'a', 'a', 'b', 'b'], [1, 2, 1, 2, 4, 1, 1], [1, 3, 2, 2, 2, 5, 5]);
    assert.deepEqual(cells.index, [0, 1, 2, 3, 4], 'cell b is too small');
    assert.deepEqual(cells.expected, [1, 2, 1, 2, 4]);
    assert.deepEqual(cells.correction, [1.25, 1.25, 1.25, 1.25, 1.25]);
  });
});

describe('draws', () => {
  it('gamma multipliers have mean 1 and variance 1/shape', () => {
    for (const shape of [0.5, 4, 15]) {
      const rng = new Rng(8);
      const x = Array.from({ length: 40_000 }, () => gammaMeanOne(rng, shape));
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
      assert.ok(Math.abs(m - 1) < 0.02, `shape ${shape}: mean ${m}`);
      assert.ok(Math.abs(v * shape - 1) < 0.06, `shape ${shape}: var ${v}`);
    }
  });

  it('geometric counts start at 1 and have the asked mean', () => {
    const rng = new Rng(2);
    const x = Array.from({ length: 40_000 }, () => geometricCount(rng, 1.8));
    assert.ok(Math.min(...x) === 1);
    assert.ok(Math.abs(x.reduce((a, b) => a + b, 0) / x.length - 1.8) < 0.03);
    assert.equal(geometricCount(rng, 1), 1);
  });

  it('reads quantile tables and fixes a uniform number by name', () => {
    const q = [1, 2, 4];
    assert.equal(quantileAt(q, 0), 1);
    assert.equal(quantileAt(q, 1), 4);
    assert.ok(Math.abs(quantileAt(q, 0.25) - Math.SQRT2) < 1e-12);
    assert.equal(uniformFromName('s', 'MARK'), uniformFromName('s', 'MARK'));
    assert.notEqual(uniformFromName('s', 'MARK'), uniformFromName('t', 'MARK'));
  });
});
