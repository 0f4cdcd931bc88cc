import assert from 'node:assert/strict';
import { localClock, localDayStart, localHour, zonedTimeToEpoch } from '../../common/time.js';

describe('zoned time', () => {
  it('converts Berlin wall-clock time in winter (UTC+1) and summer (UTC+2)', () => {
    assert.equal(zonedTimeToEpoch('2026-11-23', '05:00', 'Europe/Berlin'), Date.UTC(2026, 10, 23, 4, 0));
    assert.equal(zonedTimeToEpoch('2026-07-01', '05:00', 'Europe/Berlin'), Date.UTC(2026, 6, 1, 3, 0));
  });

  it('handles service past midnight (24:30 is 00:30 of the next day)', () => {
    assert.equal(zonedTimeToEpoch('2026-11-23', '24:30', 'Europe/Berlin'), Date.UTC(2026, 10, 23, 23, 30));
  });

  it('reads local hour, weekday and day start', () => {
    const t = Date.UTC(2026, 10, 23, 6, 30); // 07:30 in Berlin, a Monday
    assert.equal(localHour(t, 'Europe/Berlin'), 7.5);
    assert.equal(localClock(t, 'Europe/Berlin').weekday, 1);
    assert.equal(localDayStart(t, 'Europe/Berlin'), Date.UTC(2026, 10, 22, 23, 0));
  });
});
