import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { VirtualClock } from '../../../common/clock.js';
import { zonedTimeToEpoch } from '../../../common/time.js';
import { Pseudonymiser } from '../../../gateway/privacy/pseudonymiser.js';

const RAW = '4a:11:22:33:44:55';

describe('Pseudonymiser', () => {
  it('gives the same pseudonym within a key epoch and different ones per kind', () => {
    const p = new Pseudonymiser(new VirtualClock(0));
    assert.equal(p.pseudonymise('radio', RAW), p.pseudonymise('radio', RAW));
    assert.notEqual(p.pseudonymise('radio', RAW), p.pseudonymise('camera-track', RAW));
    assert.notEqual(p.pseudonymise('radio', RAW), p.pseudonymise('radio', '4a:11:22:33:44:56'));
    p.close();
  });

  it('never shows the raw id or its unkeyed hash', () => {
    const p = new Pseudonymiser(new VirtualClock(0));
    const out = p.pseudonymise('radio', RAW);
    const sha = createHash('sha256').update(RAW).digest();
    for (const forbidden of [RAW, RAW.replace(/:/g, ''), sha.toString('hex').slice(0, 12), sha.toString('base64url').slice(0, 8), sha.toString('base64').slice(0, 8)]) {
      assert.ok(!out.includes(forbidden) && !forbidden.includes(out), `${out} vs ${forbidden}`);
    }
    p.close();
  });

  it('rotates its key daily at the local hour, unlinking pseudonyms across days', async () => {
    const clock = new VirtualClock(zonedTimeToEpoch('2026-11-23', '22:00', 'Europe/Berlin'));
    const p = new Pseudonymiser(clock, { timeZone: 'Europe/Berlin', rotationHour: 3 });
    const before = p.pseudonymise('radio', RAW);
    await clock.runUntil(zonedTimeToEpoch('2026-11-24', '02:59', 'Europe/Berlin'));
    assert.equal(p.pseudonymise('radio', RAW), before, 'same key before 03:00');
    await clock.runUntil(zonedTimeToEpoch('2026-11-24', '03:01', 'Europe/Berlin'));
    assert.equal(p.epoch, 1);
    assert.notEqual(p.pseudonymise('radio', RAW), before);
    await clock.runUntil(zonedTimeToEpoch('2026-11-25', '03:01', 'Europe/Berlin'));
    assert.equal(p.epoch, 2, 'again the next day');
    p.close();
  });

  it('gives different pseudonyms in two processes (a fresh key at every start)', () => {
    const a = new Pseudonymiser(new VirtualClock(0));
    const b = new Pseudonymiser(new VirtualClock(0));
    assert.notEqual(a.pseudonymise('radio', RAW), b.pseudonymise('radio', RAW));
    a.close();
    b.close();
  });
});
