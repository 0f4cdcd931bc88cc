import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { VirtualClock } from '../../../common/clock.js';
import { RadioPresence } from '../../../gateway/estimation/radio-presence.js';
import type { SourceEvent } from '../../../contracts/source-events.js';
import { RadioSource } from '../../../gateway/sources/radio-source.js';

const KEY = Buffer.alloc(32, 7); // a plainly test key
const pseudonymise = (kind: string, raw: string) => createHmac('sha256', KEY).update(`${kind}\0${raw}`).digest('base64url').slice(0, 11);

describe('RadioSource', () => {
  it('passes on pseudonyms only, drops weak signals and repeats', async () => {
    const clock = new VirtualClock(1_000_000);
    const events: SourceEvent[] = [];
    const source = new RadioSource(clock, { handle: (e) => events.push(e) }, pseudonymise, { minRssi: -85, repeatMs: 10_000 });
    source.sighting('ble', '4A:11:22:33:44:55', -60);
    source.sighting('ble', '4a:11:22:33:44:55', -61);
    source.sighting('wifi', '02:00:00:00:00:09', -95);
    await clock.advance(10_000);
    source.sighting('ble', '4a:11:22:33:44:55', -59);
    assert.equal(events.length, 2);
    assert.deepEqual(source.counters, { heard: 4, weak: 1, repeats: 1, reported: 2 });
    for (const e of events) {
      assert.equal(e.type, 'radio');
      const text = JSON.stringify(e).toLowerCase();
      assert.ok(!text.includes('4a:11:22:33:44:55') && !text.includes('4a1122334455'), 'no raw address in the event');
    }
  });
});

describe('RadioPresence', () => {
  it('counts devices heard on both sides of a departure, and forgets', () => {
    const p = new RadioPresence();
    ['a', 'b', 'c'].forEach((x) => p.onSighting(x));
    assert.deepEqual(p.onDeparture(), { persistent: 0, current: 3 });
    ['b', 'c', 'd'].forEach((x) => p.onSighting(x));
    assert.deepEqual(p.onDeparture(), { persistent: 2, current: 3 });
    p.onSighting('a');
    assert.deepEqual(p.onDeparture(), { persistent: 0, current: 1 }, 'a was last heard two windows ago');
    p.onSighting('a');
    p.reset();
    assert.deepEqual(p.onDeparture(), { persistent: 0, current: 0 });
  });
});
