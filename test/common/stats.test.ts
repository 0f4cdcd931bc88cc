import assert from 'node:assert/strict';
import { correlation } from '../../common/stats.js';

describe('correlation', () => {
  it('is 1 for a rising line, -1 for a falling one, NaN without variation', () => {
    assert.equal(correlation([1, 2, 3], [2, 4, 6]), 1);
    assert.equal(correlation([1, 2, 3], [3, 2, 1]), -1);
    assert.ok(Number.isNaN(correlation([1, 1, 1], [1, 2, 3])));
    assert.ok(Math.abs(correlation([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
  });
});
