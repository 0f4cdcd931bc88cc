import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../../common/clock.js';
import { DoorBoardMappingSchema } from '../../../contracts/door-board-mapping.js';
import { DoorBoardSource } from '../../../firmware-bindings/door-board/door-board.js';
import { FirmataFrameFilter, type FirmataDropReason } from '../../../firmware-bindings/door-board/firmata-frame-filter.js';
import { digitalMessage, firmwareMessage, reportVersionMessage, sysex } from '../../../firmware-bindings/door-board/firmata-protocol.js';
import type { SourceEvent } from '../../../contracts/source-events.js';
import { FirmataBoardEmulator } from '../../../simulator/devices/firmata-board.js';

/** A capability reply for `n` pins, each a digital input. */
const caps = (n: number) => sysex(0x6c, Array.from({ length: n }, () => [0x00, 0x01, 0x0b, 0x01, 0x7f]).flat());

function run(chunks: Buffer[]): { out: Buffer[]; filter: FirmataFrameFilter } {
  const filter = new FirmataFrameFilter();
  const out: Buffer[] = [];
  filter.on('data', (m: Buffer) => out.push(m));
  for (const c of chunks) filter.write(c);
  return { out, filter };
}

/** A well-formed message as the filter may pass it. */
function wellFormed(m: Buffer): boolean {
  if (m[0] === 0xf0) return m.length >= 3 && m.at(-1) === 0xf7 && m.subarray(1, -1).every((b) => b < 0x80);
  const kind = m[0]! < 0xf0 ? m[0]! & 0xf0 : m[0]!;
  return m.length === 3 && (kind === 0x90 || kind === 0xe0 || kind === 0xf9) && m[1]! < 0x80 && m[2]! < 0x80;
}

describe('FirmataFrameFilter (board → host)', () => {
  const good = [reportVersionMessage(2, 5), firmwareMessage(2, 5, 'StandardFirmata.ino'), caps(20), sysex(0x6a, Array.from({ length: 20 }, () => 0x7f)), digitalMessage(0, 0x84)];

  it('passes whole messages, however the bytes are split', async () => {
    const all = Buffer.concat(good);
    const oneByOne = run([...all].map((b) => Buffer.from([b])));
    assert.deepEqual(oneByOne.out.map((m) => m.toString('hex')), good.map((m) => m.toString('hex')));
    assert.equal(oneByOne.filter.droppedTotal, 0);
    assert.equal(oneByOne.filter.counters.messages, good.length);
  });

  const cases: Array<[string, number[], FirmataDropReason]> = [
    ['data with no command', [0x12, 0x34], 'strayData'],
    ['a command only the host sends', [0xd0, 0x01], 'unexpectedCommand'],
    ['a message cut short by the next', [0x90, 0x01], 'truncated'],
    ['a sysex cut short by the next', [0xf0, 0x79, 0x02], 'truncated'],
    ['a sysex longer than any reply', [0xf0, ...Array.from({ length: 3000 }, () => 0x01), 0xf7], 'overlongSysex'],
    ['a sysex reply a door board does not give', [0xf0, 0x77, 0x01, 0x02, 0xf7], 'unknownSysex'],
    ['a firmware reply without a version', [0xf0, 0x79, 0x02, 0xf7], 'malformed'],
    ['a capability reply that does not end a pin', [0xf0, 0x6c, 0x00, 0x01, 0xf7], 'malformed'],
    ['an analog mapping before the capabilities', [0xf0, 0x6a, 0x7f, 0xf7], 'malformed'],
    ['a pin state before the capabilities', [0xf0, 0x6e, 0x02, 0x00, 0x00, 0xf7], 'malformed'],
  ];
  for (const [what, bytes, reason] of cases) {
    it(`drops ${what} as ${reason}, then reads the next good message`, () => {
      const next = digitalMessage(1, 0x05);
      const { out, filter } = run([Buffer.from(bytes), next]);
      assert.equal(filter.counters.dropped[reason], 1, JSON.stringify(filter.counters.dropped));
      assert.equal(filter.droppedTotal, 1);
      assert.deepEqual(out.at(-1), next);
    });
  }

  it('drops replies that would index pins firmata.js does not have, and pin states nobody asked for', () => {
    const filter = new FirmataFrameFilter();
    const out: Buffer[] = [];
    filter.on('data', (m: Buffer) => out.push(m));
    filter.write(caps(4));
    filter.write(sysex(0x6a, [0x7f, 0x7f, 0x7f, 0x7f, 0x00]));
    filter.write(sysex(0x6e, [0x09, 0x00, 0x00]));
    filter.write(sysex(0x6e, [0x02, 0x0b, 0x01]));
    assert.deepEqual(filter.counters.dropped, { strayData: 0, unexpectedCommand: 0, truncated: 0, overlongSysex: 0, unknownSysex: 0, malformed: 2, unsolicited: 1 });
    filter.expectPinState(2);
    filter.write(sysex(0x6e, [0x02, 0x0b, 0x01]));
    filter.write(sysex(0x6e, [0x02, 0x0b, 0x01]));
    assert.equal(out.length, 2, 'the capabilities and the one pin state asked for');
    assert.equal(filter.counters.dropped.unsolicited, 2);
  });

  it('fuzz: after any garbage the next good message comes out, and only well-formed messages ever do', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...good.slice(2)), fc.integer({ min: 1, max: 17 }), (junk, next, chunk) => {
        const bytes = Buffer.concat([caps(20), Buffer.from(junk), next]);
        const chunks: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
        const { out } = run(chunks);
        assert.ok(out.every(wellFormed), 'every message well-formed');
        assert.deepEqual(out.at(-1), next);
      }),
      { numRuns: 300 },
    );
  });
});

describe('door board under line noise (fuzz through johnny-five)', () => {
  it('garbage between good traffic never crashes it; the doors are read right afterwards', async () => {
    const mapping = DoorBoardMappingSchema.parse({ doors: [{ door: 1, contact: 2, outer: 3, inner: 4 }] });
    // Random bytes, and noise that happens to parse: a fake reboot announcement, a fake port value
    // (door 1 open, beams clear), a pin state nobody asked for, one for a pin that does not exist.
    const nasty = [
      [0xf9, 0x02, 0x05],
      [0x90, 0x00, 0x00],
      [0xf0, 0x6e, 0x03, 0x01, 0x00, 0xf7],
      [0xf0, 0x6e, 0x63, 0x00, 0x00, 0xf7],
    ].map((b) => Uint8Array.from(b));
    const burst = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.constantFrom(...nasty));
    await fc.assert(
      fc.asyncProperty(fc.array(burst, { minLength: 1, maxLength: 8 }), async (bursts) => {
        const clock = new VirtualClock(0);
        const board = new FirmataBoardEmulator(clock);
        board.setPin(2, true);
        const events: SourceEvent[] = [];
        const source = new DoorBoardSource({ clock, sink: { handle: (e) => events.push(e) }, mapping, open: () => board.openHostPort({ maxChunk: 7 }) });
        try {
          source.start();
          await clock.advance(100);
          for (const burst of bursts) {
            board.sendRaw(burst);
            await clock.advance(500);
          }
          // Whatever the noise did (faked levels, a fake reboot), a heartbeat and a reconnect later
          // the board is read as it is.
          await clock.advance(70_000);
          assert.equal(source.state, 'ready');
          board.setPin(2, false);
          await clock.advance(1000);
          const last = events.filter((e) => e.type === 'door').at(-1);
          assert.deepEqual(last && { door: last.door, open: last.open }, { door: 1, open: true });
        } finally {
          source.close();
          board.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
