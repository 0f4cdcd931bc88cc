import assert from 'node:assert/strict';
import { offTimeMs, timeOnAirMs, uplinkTimeOnAirMs } from '../../../firmware-bindings/lora/airtime.js';
import { maxPayload } from '../../../contracts/lora-region-eu868.js';

describe('time on air (Semtech AN1200.13)', () => {
  it('matches the reference figures of FIELD-FACTS.md', () => {
    assert.equal(uplinkTimeOnAirMs(10, 5).toFixed(3), '61.696');
    assert.equal(uplinkTimeOnAirMs(10, 0).toFixed(3), '1482.752');
    assert.equal(timeOnAirMs(13, { sf: 9, bandwidthHz: 125_000 }).toFixed(3), '164.864');
  });

  it('grows with payload and spreading factor', () => {
    assert.ok(uplinkTimeOnAirMs(51, 5) > uplinkTimeOnAirMs(10, 5));
    assert.ok(uplinkTimeOnAirMs(10, 3) > uplinkTimeOnAirMs(10, 4));
  });

  it('gives the 1 % duty-cycle off time and the payload limits per data rate', () => {
    assert.equal(offTimeMs(100, 0.01), 9900);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((dr) => maxPayload(dr)), [51, 51, 51, 115, 222, 222]);
    assert.equal(maxPayload(0, 15), 36);
    assert.throws(() => maxPayload(6), /DR6/);
  });
});
