import assert from 'node:assert/strict';
import { AirtimeBudget } from '../../../gateway/uplink/airtime-budget.js';

const DAY = 86_400_000;
const budget = (dailyMs = 30_000) =>
  new AirtimeBudget({ dailyMs, dutyCycle: 0.01, serviceHours: 19, burstShare: 0.1, reportReserveShare: 0.3, dayOf: (t) => Math.floor(t / DAY) * DAY });

describe('AirtimeBudget', () => {
  it('keeps the duty-cycle off time after a transmission', () => {
    const b = budget();
    const t = DAY + 3_600_000;
    assert.equal(b.earliest(100, t, 'report'), t);
    b.charge(100, t);
    assert.equal(b.earliest(100, t + 50, 'report'), t + 100 + 9900);
  });

  it('never lets a day use more than the daily budget', () => {
    const b = budget(1000);
    let t = DAY;
    let used = 0;
    for (let i = 0; i < 1000; i++) {
      const at = b.earliest(60, t, 'report');
      if (at >= 2 * DAY) break;
      b.charge(60, at);
      used += 60;
      t = at;
    }
    assert.ok(used <= 1000, `used ${used}`);
    assert.ok(used >= 900, `should use most of it, used ${used}`);
    assert.equal(b.earliest(60, t, 'report'), 2 * DAY, 'next possible the next day');
  });

  it('keeps a reserve that live frames may not touch', () => {
    const b = budget(1000);
    let t = DAY;
    let live = 0;
    for (let i = 0; i < 1000; i++) {
      const at = b.earliest(50, t, 'live');
      if (at >= 2 * DAY) break;
      b.charge(50, at);
      live += 50;
      t = at;
    }
    assert.ok(live <= 700, `live used ${live} of a 1000 ms budget with a 30 % reserve`);
    assert.ok(b.earliest(50, t, 'report') < 2 * DAY, 'reports can still go');
  });
});
