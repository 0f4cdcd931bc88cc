import assert from 'node:assert/strict';
import { IBIS_CHECKSUM_SEED, IBIS_SERIAL, frameTelegram, ibisChecksum } from '../../../firmware-bindings/ibis/ibis-framing.js';
import {
  decodeTelegram,
  decodeText,
  encodeDriverNumberTelegram,
  encodeTelegram,
  encodeText,
  type IbisTelegram,
} from '../../../firmware-bindings/ibis/ibis-telegrams.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const decode = (text: string) => decodeTelegram(Buffer.from(text, 'latin1'));

describe('IBIS framing', () => {
  it('frames golden telegrams: text, CR, XOR checksum seeded with 0x7F', () => {
    // Computed independently (Python) from the rule in FIELD-FACTS.md.
    const golden: Array<[string, string]> = [
      ['l005', '6C3030350D2B'],
      ['k07', '6B30370D1E'],
      ['z123', '7A3132330D38'],
      ['x0004', '78303030340D0E'],
      ['zI3Marktplatz  ', '7A49334D61726B74706C61747A20200D40'],
      ['u0701', '75303730310D01'],
      ['d23116', '6432333131360D21'],
      ['eH0001234', '6548303030313233340D6B'],
      // Its checksum is itself 0x0D: a reader must not take it for a CR.
      ['zA1Kr|llwitz       ', '7A41314B727C6C6C7769747A202020202020200D0D'],
    ];
    for (const [text, bytes] of golden) assert.equal(hex(frameTelegram(text)), bytes, text);
    assert.equal(IBIS_CHECKSUM_SEED, 0x7f);
    assert.equal(ibisChecksum(new Uint8Array()), 0x72);
  });

  it('refuses text that cannot go on a 7-bit bus', () => {
    assert.throws(() => frameTelegram('zA1Kröllwitz'), RangeError);
    assert.throws(() => frameTelegram('l0\r05'), RangeError);
  });

  it('exports the bus settings 1200 7E2 for the serial transport', () => {
    assert.deepEqual({ ...IBIS_SERIAL }, { baudRate: 1200, dataBits: 7, parity: 'even', stopBits: 2 });
    assert.ok(Object.isFrozen(IBIS_SERIAL));
  });
});

describe('IBIS telegrams', () => {
  it('decodes the telegrams the gateway reads', () => {
    const cases: Array<[string, IbisTelegram]> = [
      ['l005', { kind: 'line', ds: 'DS001', line: 5 }],
      ['q0010', { kind: 'lineText', ds: 'DS001neu', line: '0010' }],
      ['q 10E', { kind: 'lineText', ds: 'DS001neu', line: '10E' }],
      ['k07', { kind: 'course', ds: 'DS002', course: 7 }],
      ['z051', { kind: 'destination', ds: 'DS003', destination: 51 }],
      ['zA1Kr|llwitz       ', { kind: 'destinationText', ds: 'DS003a', text: 'Kröllwitz' }],
      ['zI3Marktplatz  ', { kind: 'nextStopText', ds: 'DS003c', text: 'Marktplatz' }],
      ['zI5Rennbahnkreuz ~[\\]{}', { kind: 'nextStopText', ds: 'DS003c', text: 'Rennbahnkreuz ßÄÖÜäü' }],
      ['x0012', { kind: 'stop', ds: 'DS010', stop: 12 }],
      ['eH0001234', { kind: 'validatorStop', ds: 'DS004b', stop: 1234 }],
      ['u2359', { kind: 'time', ds: 'DS005', hour: 23, minute: 59 }],
      ['d23116', { kind: 'date', ds: 'DS006', day: 23, month: 11, yearDigit: 6 }],
    ];
    for (const [text, telegram] of cases) assert.deepEqual(decode(text), { type: 'telegram', telegram }, text);
  });

  it('reads block counts written in VDV hex (:;<=>? for 10..15)', () => {
    const name = 'Hauptbahnhof Halle (Saale) Nord';
    const text = encodeTelegram({ kind: 'nextStopText', ds: 'DS003c', text: name });
    assert.equal(text.slice(0, 3), 'zI8');
    const long = 'Elsa-Brändström-Straße über Rannischer Platz';
    const encoded = encodeTelegram({ kind: 'nextStopText', ds: 'DS003c', text: long });
    assert.equal(encoded[2], ';'); // 44 characters: 11 blocks of 4
    assert.deepEqual(decode(encoded), { type: 'telegram', telegram: { kind: 'nextStopText', ds: 'DS003c', text: long } });
  });

  it('maps umlauts both ways and keeps the reserved places from reading back as letters', () => {
    assert.equal(encodeText('Göttinger Bogen, Büschdorf, Straße, Ärzte, Öl, Übergang'), 'G|ttinger Bogen, B}schdorf, Stra~e, [rzte, \\l, ]bergang');
    assert.equal(decodeText('G|ttinger Bogen   '), 'Göttinger Bogen');
    assert.equal(encodeText('a{b}|é'), 'a?b??e');
  });

  it('round-trips every telegram it writes', () => {
    const all: IbisTelegram[] = [
      { kind: 'line', ds: 'DS001', line: 16 },
      { kind: 'lineText', ds: 'DS001neu', line: '16' },
      { kind: 'course', ds: 'DS002', course: 3 },
      { kind: 'destination', ds: 'DS003', destination: 999 },
      { kind: 'destinationText', ds: 'DS003a', text: 'Soltauer Straße' },
      { kind: 'nextStopText', ds: 'DS003c', text: 'Zentrum Neustadt' },
      { kind: 'validatorStop', ds: 'DS004b', stop: 9_999_999 },
      { kind: 'time', ds: 'DS005', hour: 0, minute: 0 },
      { kind: 'date', ds: 'DS006', day: 1, month: 1, yearDigit: 0 },
      { kind: 'stop', ds: 'DS010', stop: 9999 },
    ];
    for (const t of all) {
      const back = decode(encodeTelegram(t));
      assert.equal(back.type, 'telegram', encodeTelegram(t));
      if (back.type === 'telegram' && t.kind === 'lineText') assert.equal(back.telegram.kind === 'lineText' && back.telegram.line, '0016');
      else assert.deepEqual(back, { type: 'telegram', telegram: t });
    }
    assert.throws(() => encodeTelegram({ kind: 'course', ds: 'DS002', course: 100 }), RangeError);
  });

  it('classifies the driver-number telegram as personal, without its digits', () => {
    assert.deepEqual(decode(encodeDriverNumberTelegram(4711)), { type: 'personal', strict: true });
    assert.deepEqual(decode('f47x11'), { type: 'personal', strict: false });
  });

  it('tells unknown telegrams from known ones with impossible values', () => {
    for (const t of ['', 'l05', 'l0055', 'k7', 'z12', 'zA1short', 'zI?abc', 'x12', 'w2', 'v Marktplatz', 'aA11234567890123456', 'l00\u00e9'])
      assert.deepEqual(decode(t), { type: 'unknown' }, JSON.stringify(t));
    for (const t of ['u2460', 'u1260', 'd32116', 'd00116', 'd23136']) assert.deepEqual(decode(t), { type: 'malformed' }, t);
    assert.deepEqual(decodeTelegram(Uint8Array.from([0x6c, 0x30, 0xb0, 0x35])), { type: 'unknown' });
  });
});
