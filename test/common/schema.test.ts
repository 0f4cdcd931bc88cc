/** The shared input pieces: clock times, suggestions for typos, time zones, vehicle ids. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clockMinutes, clockTime, closest, timeZoneName, vehicleId } from '../../common/schema.js';

describe('input schema pieces', () => {
  it('reads HH:MM up to 47:59 and refuses minutes past 59', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 47 }), fc.integer({ min: 0, max: 59 }), (h, m) => {
        const text = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
        assert.ok(clockTime.safeParse(text).success, text);
        assert.equal(clockMinutes(text), h * 60 + m);
      }),
    );
    for (const bad of ['14:60', '48:00', '7', '07:5', 'ab:cd', '']) assert.ok(!clockTime.safeParse(bad).success, bad);
  });

  it('suggests a close known key, and nothing for an unrelated one', () => {
    assert.equal(closest('datarate', ['uplinkLoss', 'dataRate', 'modems']), 'dataRate');
    assert.equal(closest('dailyAirtime', ['dailyAirtimeMs', 'liveEnabled']), 'dailyAirtimeMs');
    assert.equal(closest('zebra', ['uplinkLoss', 'dataRate', 'modems']), undefined);
  });

  it('knows real time zones only', () => {
    assert.ok(timeZoneName.safeParse('Europe/Berlin').success);
    const halle = timeZoneName.safeParse('Europe/Halle');
    assert.ok(!halle.success);
    assert.match(halle.error.issues[0]!.message, /unknown time zone "Europe\/Halle".*Europe\/Berlin/);
  });

  it('takes fleet numbers and plain ids, not spaces, slashes or control characters', () => {
    for (const ok of ['661', '9001', 'bench-1', 'T_2']) assert.ok(vehicleId.safeParse(ok).success, ok);
    for (const bad of ['66 1', '../661', '661\n', '-661', '', 'x'.repeat(33)]) assert.ok(!vehicleId.safeParse(bad).success, JSON.stringify(bad));
  });
});
