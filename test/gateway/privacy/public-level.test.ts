import assert from 'node:assert/strict';
import { Level, levelFor } from '../../../contracts/occupancy-levels.js';
import { PublicLevelPolicy } from '../../../gateway/privacy/public-level.js';

const options = { thresholds: { medium: 25, high: 73 }, capacity: 118, spread: 0.2, minSpread: 3 };
const SEED = Buffer.alloc(32, 9); // a plainly test seed

describe('PublicLevelPolicy (anonymised levels)', () => {
  it('does not let one boarding be read off a level change', () => {
    // At a load near the boundary, the same load publishes different levels on different
    // departures, and one more passenger does not switch the level deterministically.
    const policy = new PublicLevelPolicy(options, SEED);
    const levelsAt = (load: number) => Array.from({ length: 400 }, (_, i) => policy.publish(load, i).level);
    const at25 = levelsAt(25);
    const at26 = levelsAt(26);
    const share = (xs: Level[]) => xs.filter((l) => l === Level.LEVEL_MEDIUM).length / xs.length;
    assert.ok(share(at25) > 0.2 && share(at25) < 0.8, `at 25: ${share(at25)}`);
    assert.ok(Math.abs(share(at26) - share(at25)) < 0.25, 'one more passenger changes the odds only a little');
  });

  it('still says how full the tram is', () => {
    const policy = new PublicLevelPolicy(options, SEED);
    for (let i = 0; i < 200; i++) {
      assert.equal(policy.publish(0, i).level, Level.LEVEL_LOW, 'empty is empty');
      assert.equal(policy.publish(10, i).level, Level.LEVEL_LOW);
      assert.equal(policy.publish(50, i).level, Level.LEVEL_MEDIUM);
      assert.equal(policy.publish(110, i).level, Level.LEVEL_HIGH);
    }
    let agree = 0;
    for (let load = 0; load <= 130; load++) if (policy.publish(load, load).level === levelFor(load, options.thresholds)) agree++;
    assert.ok(agree / 131 > 0.85, `agreement with the exact level ${agree}/131`);
  });

  it('rounds the percentage at a random point, without bias', () => {
    const policy = new PublicLevelPolicy(options, SEED);
    const tenths = Array.from({ length: 2000 }, (_, i) => policy.publish(62, i).occupancyTenths);
    const mean = tenths.reduce((a, b) => a + b, 0) / tenths.length;
    assert.ok(Math.abs(mean - (62 / 118) * 10) < 0.1, `mean ${mean}`);
    assert.ok(new Set(tenths).size === 2, 'either of the two neighbouring steps');
  });

  it('depends on the secret seed: another device draws other boundaries', () => {
    const a = new PublicLevelPolicy(options, SEED);
    const b = new PublicLevelPolicy(options, Buffer.alloc(32, 1));
    const la = Array.from({ length: 100 }, (_, i) => a.publish(25, i).level);
    const lb = Array.from({ length: 100 }, (_, i) => b.publish(25, i).level);
    assert.notDeepEqual(la, lb);
    assert.throws(() => new PublicLevelPolicy(options, Buffer.alloc(4)), /16 bytes/);
  });
});
