import assert from 'node:assert/strict';
import fc from 'fast-check';
import { inspect } from 'node:util';
import { VirtualClock, type Clock } from '../../../common/clock.js';
import { ConfigError } from '../../../common/errors.js';
import { localClock, zonedTimeToEpoch } from '../../../common/time.js';
import { Pseudonymiser } from '../../../gateway/privacy/pseudonymiser.js';
import { findLeak } from '../../helpers/leak-check.js';

function bits(pseudonym: string): Buffer {
  return Buffer.from(pseudonym, 'base64url');
}

function hamming(a: Buffer, b: Buffer): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!;
    while (x) {
      n += x & 1;
      x >>= 1;
    }
  }
  return n;
}

describe('Pseudonymiser', () => {
  let clock: VirtualClock;
  let p: Pseudonymiser;
  beforeEach(() => {
    clock = new VirtualClock(zonedTimeToEpoch('2026-11-23', '07:00', 'Europe/Berlin'));
    p = new Pseudonymiser(clock);
  });
  afterEach(() => p.close());

  it('gives the same pseudonym for the same input within an epoch', async () => {
    const a = p.pseudonymise('camera-track', 'track-0001');
    await clock.advance(3_600_000);
    assert.equal(p.pseudonymise('camera-track', 'track-0001'), a);
    assert.notEqual(p.pseudonymise('camera-track', 'track-0002'), a);
    assert.match(a, /^[A-Za-z0-9_-]{11}$/);
  });

  it('separates kinds: the same raw id under two kinds gives unrelated pseudonyms', () => {
    const raw = 'AA:BB:CC:DD:EE:FF';
    const track = p.pseudonymise('camera-track', raw);
    const radio = p.pseudonymise('radio', raw);
    assert.notEqual(track, radio);
    // Moving the boundary between kind and raw must not collide either.
    assert.notEqual(p.pseudonymise('ab', 'c'), p.pseudonymise('a', 'bc'));
  });

  it('two pseudonymisers (two vehicles, or a restart) never share a key', () => {
    const other = new Pseudonymiser(clock);
    try {
      assert.notEqual(other.pseudonymise('radio', 'device-1'), p.pseudonymise('radio', 'device-1'));
    } finally {
      other.close();
    }
  });

  it('rotates at 03:00 local time every day and counts epochs', async () => {
    const before = p.pseudonymise('radio', 'device-42');
    assert.equal(p.epoch, 0);
    const rotation = p.nextRotation;
    assert.equal(localClock(rotation, 'Europe/Berlin').secondsOfDay, 3 * 3600);
    assert.equal(localClock(rotation, 'Europe/Berlin').date, '20261124');
    await clock.runUntil(rotation - 1);
    assert.equal(p.pseudonymise('radio', 'device-42'), before);
    await clock.runUntil(rotation);
    assert.equal(p.epoch, 1);
    assert.notEqual(p.pseudonymise('radio', 'device-42'), before);
    await clock.advance(86_400_000);
    assert.equal(p.epoch, 2);
  });

  it('keeps the local hour across a daylight-saving change', async () => {
    clock = new VirtualClock(zonedTimeToEpoch('2026-03-28', '12:00', 'Europe/Berlin'));
    const q = new Pseudonymiser(clock, { rotateAtHour: 4 });
    try {
      const first = q.nextRotation;
      assert.equal(localClock(first, 'Europe/Berlin').date, '20260329');
      assert.equal(localClock(first, 'Europe/Berlin').secondsOfDay, 4 * 3600);
      await clock.runUntil(first);
      // 29 March 2026 has 23 hours in Berlin.
      assert.equal(q.nextRotation - first, 24 * 3_600_000);
      assert.equal(localClock(q.nextRotation, 'Europe/Berlin').secondsOfDay, 4 * 3600);
    } finally {
      q.close();
    }
  });

  it('rotates on demand, and when the timer was missed (clock stepped past the hour)', () => {
    const a = p.pseudonymise('camera-track', 'track-7');
    p.rotate();
    assert.equal(p.epoch, 1);
    assert.notEqual(p.pseudonymise('camera-track', 'track-7'), a);
    // A clock that steps without firing timers (suspended machine, NTP step).
    let now = clock.now();
    const stepping: Clock = { now: () => now, setTimeout: () => ({ id: 0 }), clearTimeout: () => undefined, sleep: async () => undefined };
    const q = new Pseudonymiser(stepping);
    const before = q.pseudonymise('camera-track', 'track-7');
    now = q.nextRotation + 1;
    assert.notEqual(q.pseudonymise('camera-track', 'track-7'), before);
    assert.equal(q.epoch, 1);
    q.close();
  });

  it('leaves no relation between epochs: no shared pseudonyms, about half the bits differ', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `track-${i.toString(16).padStart(6, '0')}`);
    const old = ids.map((id) => p.pseudonymise('camera-track', id));
    p.rotate();
    const fresh = ids.map((id) => p.pseudonymise('camera-track', id));
    const oldSet = new Set(old);
    assert.equal(fresh.filter((x) => oldSet.has(x)).length, 0);
    // No fixed mask or offset maps old to new: the XOR of old and new differs from id to id ...
    const masks = new Set(old.map((o, i) => Buffer.from(bits(o).map((byte, j) => byte ^ bits(fresh[i]!)[j]!)).toString('hex')));
    assert.equal(masks.size, ids.length);
    // ... and per bit they agree no more than chance would (64 bits, mean 32, sd 4).
    const distances = old.map((o, i) => hamming(bits(o), bits(fresh[i]!)));
    const mean = distances.reduce((s, d) => s + d, 0) / distances.length;
    assert.ok(mean > 31 && mean < 33, `mean Hamming distance ${mean}`);
    // Equal pseudonyms within an epoch stay equal (the relation that IS wanted).
    assert.equal(p.pseudonymise('camera-track', ids[0]!), fresh[0]);
  });

  it('never outputs the raw id, its unkeyed SHA-256, or a prefix of either longer than 6 characters', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 7, maxLength: 64 }), fc.constantFrom('camera-track', 'radio'), (raw, kind) => {
        const out = p.pseudonymise(kind, raw);
        assert.equal(findLeak(out, raw), undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('exposes nothing about its key: no accessor, no fingerprint, nothing in JSON or inspect', () => {
    const members = [...Object.keys(p), ...Object.getOwnPropertyNames(Pseudonymiser.prototype)];
    assert.ok(!members.some((name) => /key|fingerprint/i.test(name)), members.join(','));
    assert.doesNotMatch(JSON.stringify(p), /key|data|type/i);
    assert.doesNotMatch(inspect(p, { showHidden: true, depth: 10 }), /Buffer|Uint8Array|key/i);
  });

  it('refuses bad options with the field named, and refuses work once closed', () => {
    assert.throws(() => new Pseudonymiser(clock, { rotateAtHour: 24 }), (e: Error) => e instanceof ConfigError && e.field === 'rotateAtHour');
    assert.throws(() => new Pseudonymiser(clock, { outputBytes: 2 }), (e: Error) => e instanceof ConfigError && e.field === 'outputBytes');
    assert.throws(() => new Pseudonymiser(clock, { timeZone: 'Mars/Olympus' }), ConfigError);
    p.close();
    assert.throws(() => p.pseudonymise('radio', 'x'), /closed/);
    assert.equal(clock.pendingTimers, 0);
  });
});
