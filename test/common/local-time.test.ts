import assert from 'node:assert/strict';
import { ConfigError } from '../../common/errors.js';
import {
  assertTimeZone,
  localClock,
  localToEpochMs,
  parseClockTime,
  parseServiceDate,
  serviceDayType,
} from '../../common/time.js';

describe('local time', () => {
  it('turns a local wall time into the right instant, summer and winter', () => {
    assert.equal(new Date(localToEpochMs(2012, 10, 1, 7 * 3600, 'Europe/Zurich')).toISOString(), '2012-10-01T05:00:00.000Z');
    assert.equal(new Date(localToEpochMs(2012, 12, 1, 7 * 3600, 'Europe/Zurich')).toISOString(), '2012-12-01T06:00:00.000Z');
    assert.equal(new Date(localToEpochMs(2012, 10, 1, 7 * 3600, 'America/New_York')).toISOString(), '2012-10-01T11:00:00.000Z');
  });

  it('runs past midnight when seconds exceed a day', () => {
    const t = localToEpochMs(2012, 10, 1, 24 * 3600 + 90, 'Europe/Zurich');
    assert.equal(new Date(t).toISOString(), '2012-10-01T22:01:30.000Z');
  });

  it('handles the DST changes like Temporal "compatible"', () => {
    // 2024-03-31 02:30 does not exist in Berlin: read with the offset from before (+1 h).
    assert.equal(new Date(localToEpochMs(2024, 3, 31, 2.5 * 3600, 'Europe/Berlin')).toISOString(), '2024-03-31T01:30:00.000Z');
    // 2024-10-27 02:30 happens twice: the earlier instant (+2 h).
    assert.equal(new Date(localToEpochMs(2024, 10, 27, 2.5 * 3600, 'Europe/Berlin')).toISOString(), '2024-10-27T00:30:00.000Z');
  });

  it('reads the clock back, and judges the day type on the service day', () => {
    const mondayEarly = Date.parse('2012-10-01T23:30:00Z'); // Tue 01:30 in Zurich
    assert.deepEqual(localClock(mondayEarly, 'Europe/Zurich'), { secondsOfDay: 5400, weekday: 2, date: '20121002' });
    const sundayNight = Date.parse('2012-10-07T23:30:00Z'); // Mon 01:30, still Sunday's service
    assert.equal(serviceDayType(sundayNight, 'Europe/Zurich', 4), 'weekend');
    assert.equal(serviceDayType(sundayNight + 3 * 3600_000, 'Europe/Zurich', 4), 'weekday');
  });

  it('parses dates and times strictly', () => {
    assert.deepEqual(parseServiceDate('20121001'), { year: 2012, month: 10, day: 1 });
    assert.deepEqual(parseServiceDate('2012-10-01'), { year: 2012, month: 10, day: 1 });
    assert.equal(parseServiceDate('20120230'), undefined);
    assert.equal(parseServiceDate('2012101'), undefined);
    assert.equal(parseClockTime('07:05:09'), 7 * 3600 + 5 * 60 + 9);
    assert.equal(parseClockTime('25:00:00'), 25 * 3600);
    assert.equal(parseClockTime('07:60:00'), undefined);
    assert.equal(parseClockTime('7h05'), undefined);
  });

  it('refuses an unknown time zone with a ConfigError naming the option', () => {
    assert.throws(() => assertTimeZone('Mars/Olympus'), (e: unknown) => e instanceof ConfigError && e.field === 'timeZone');
  });
});
