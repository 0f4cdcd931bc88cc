import assert from 'node:assert/strict';
import { Rng } from '../../../common/random.js';
import { PhoneCrowd } from '../../../simulator/world/phones.js';

describe('PhoneCrowd', () => {
  it('hears roughly carryShare x heardShare of the passengers, plus bystanders at stops', () => {
    const crowd = new PhoneCrowd(new Rng(1), { carryShare: 0.7, rotationMeanMs: 15 * 60_000, heardShare: 0.85, bystandersPerStop: 0, onBoardRssi: -62, bystanderRssi: -84 });
    crowd.board(1000, 0);
    const heard = crowd.hear(1000, false).length;
    assert.ok(heard > 520 && heard < 670, `heard ${heard}`);
    crowd.alight(1000);
    assert.equal(crowd.hear(2000, true).length, 0, 'an empty saloon is silent');
  });

  it('changes addresses over time, so one phone shows several over a long ride', () => {
    const crowd = new PhoneCrowd(new Rng(2), { carryShare: 1, rotationMeanMs: 10 * 60_000, heardShare: 1, bystandersPerStop: 0, onBoardRssi: -62, bystanderRssi: -84 });
    crowd.board(1, 0);
    const seen = new Set<string>();
    for (let t = 0; t <= 3_600_000; t += 60_000) for (const s of crowd.hear(t, false)) seen.add(s.address);
    assert.ok(seen.size >= 3, `only ${seen.size} addresses in an hour`);
  });

  it('makes randomised addresses of the right kind', () => {
    const crowd = new PhoneCrowd(new Rng(3), undefined, true);
    crowd.board(200, 0);
    for (const s of crowd.hear(1, true)) {
      const first = parseInt(s.address.slice(0, 2), 16);
      if (s.medium === 'ble') assert.equal(first & 0xc0, 0x40);
      else assert.equal(first & 0x03, 0x02);
    }
    assert.ok(crowd.issuedAddresses.length > 100);
  });
});
