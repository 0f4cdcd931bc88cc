import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import { IBIS_MAX_TELEGRAM, frameTelegram } from '../../../firmware-bindings/ibis/ibis-framing.js';
import { IbisTelegramParser } from '../../../firmware-bindings/ibis/ibis-telegram-parser.js';
import { encodeDriverNumberTelegram, type IbisTelegram } from '../../../firmware-bindings/ibis/ibis-telegrams.js';

/** Feeds chunks to a fresh parser and returns what it read and counted. */
async function parse(chunks: Uint8Array[]): Promise<{ out: IbisTelegram[]; parser: IbisTelegramParser }> {
  const parser = new IbisTelegramParser();
  const out: IbisTelegram[] = [];
  parser.on('data', (t: IbisTelegram) => out.push(t));
  for (const c of chunks) parser.write(c);
  await new Promise<void>((resolve) => parser.end(resolve));
  return { out, parser };
}

const frames = (...texts: string[]): Buffer => Buffer.concat(texts.map(frameTelegram));
const LINE5: IbisTelegram = { kind: 'line', ds: 'DS001', line: 5 };
const STOP12: IbisTelegram = { kind: 'stop', ds: 'DS010', stop: 12 };

function totalDropped(p: IbisTelegramParser): number {
  return Object.values(p.counters.dropped).reduce((s, n) => s + n, 0);
}

describe('IbisTelegramParser', () => {
  it('reads telegrams one byte at a time through an in-memory pair (maxChunk 1)', async () => {
    const [bus, gateway] = createDuplexPair({ maxChunk: 1 });
    const parser = new IbisTelegramParser();
    const out: IbisTelegram[] = [];
    parser.on('data', (t: IbisTelegram) => out.push(t));
    gateway.pipe(parser);
    bus.write(frames('l005', 'zA1Kr|llwitz       ', 'x0012'));
    bus.end();
    await new Promise((r) => parser.once('end', r));
    assert.deepEqual(out, [LINE5, { kind: 'destinationText', ds: 'DS003a', text: 'Kröllwitz' }, STOP12]);
    assert.equal(parser.counters.telegrams, 3);
    assert.equal(totalDropped(parser), 0);
  });

  it('reads the same at every random split of the byte stream', async () => {
    const stream = frames('u0701', 'd23116', 'l005', 'k07', 'z051', 'zA1Kr|llwitz       ', 'x0003', 'zI3Marktplatz  ');
    const { out: whole } = await parse([stream]);
    assert.equal(whole.length, 8);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }), async (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((end, i) => stream.subarray(points[i]!, end));
        const { out, parser } = await parse(chunks);
        assert.deepEqual(out, whole);
        assert.equal(totalDropped(parser), 0);
      }),
      { numRuns: 200 },
    );
  });

  it('counts a bad checksum and reads the next telegram', async () => {
    const bad = frameTelegram('l005');
    bad[bad.length - 1]! ^= 0x01;
    const { out, parser } = await parse([Buffer.concat([bad, frameTelegram('x0012')])]);
    assert.deepEqual(out, [STOP12]);
    assert.equal(parser.counters.dropped.badChecksum, 1);
  });

  it('counts unknown telegrams and impossible values, and skips them', async () => {
    const { out, parser } = await parse([frames('w2', 'v Marktplatz      ', 'u2575', 'l005')]);
    assert.deepEqual(out, [LINE5]);
    assert.equal(parser.counters.dropped.unknown, 2);
    assert.equal(parser.counters.dropped.malformed, 1);
  });

  it('counts an over-long run without CR once, and reads the telegram that ends it', async () => {
    const noise = Buffer.alloc(IBIS_MAX_TELEGRAM * 5, 0x41);
    const { out, parser } = await parse([noise, frameTelegram('l005'), frameTelegram('x0012')]);
    assert.deepEqual(out, [LINE5, STOP12]);
    assert.equal(parser.counters.dropped.overlong, 1);
    assert.equal(parser.counters.dropped.resync, 1);
  });

  it('resynchronises after noise without CR, and after noise that ends in a CR', async () => {
    const a = await parse([Buffer.from('#+*garbage'), frameTelegram('l005')]);
    assert.deepEqual(a.out, [LINE5]);
    assert.equal(a.parser.counters.dropped.resync, 1);
    // The byte after a stray CR is taken for a checksum; when it does not fit, it starts the next telegram.
    const b = await parse([Buffer.from('noise\r'), frameTelegram('l005')]);
    assert.deepEqual(b.out, [LINE5]);
    assert.equal(b.parser.counters.dropped.badChecksum, 1);
  });

  it('drops driver-number telegrams and only counts them, even after noise', async () => {
    const driver = encodeDriverNumberTelegram(4711);
    const { out, parser } = await parse([frames('l005', driver), Buffer.from('xx'), frames(driver, 'x0012')]);
    assert.deepEqual(out, [LINE5, STOP12]);
    assert.equal(parser.counters.droppedPersonal, 2);
    assert.ok(!JSON.stringify(out).includes('4711'));
  });

  it('survives random bytes mixed with good telegrams: no crash, a counted error, the next good telegram read', async () => {
    const good = ['l005', 'k07', 'z051', 'x0012', 'zI3Marktplatz  ', 'zA1Kr|llwitz       ', 'eH0001234', 'u0701', 'd23116'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.constantFrom(...good)), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 64 }),
        async (pieces, chunk) => {
          const stream = Buffer.concat(pieces.flatMap(([noise, text]) => [Buffer.from(noise), frameTelegram(text)]));
          const chunks: Buffer[] = [];
          for (let i = 0; i < stream.length; i += chunk) chunks.push(stream.subarray(i, i + chunk));
          const { out, parser } = await parse(chunks);
          // The last good telegram after the last noise is always read, and noise is counted.
          const expected = (await parse([frameTelegram(pieces.at(-1)![1])])).out[0];
          assert.deepEqual(out.at(-1), expected);
          assert.ok(totalDropped(parser) + parser.counters.droppedPersonal >= 1 || out.length > pieces.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes and never holds more than a bounded buffer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 10 }), async (chunks) => {
        const parser = new IbisTelegramParser();
        parser.resume();
        for (const c of chunks) {
          parser.write(c);
          // White-box: the pending telegram never grows past twice the longest one.
          assert.ok((parser as unknown as { buf: number[] }).buf.length <= 2 * IBIS_MAX_TELEGRAM);
        }
        await new Promise<void>((resolve) => parser.end(resolve));
      }),
      { numRuns: 200 },
    );
  });
});
