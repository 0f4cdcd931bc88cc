import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ProtocolError } from '../../common/errors.js';
import { generateTypes, TYPES_PATH } from '../../proto/generate.js';
import {
  decodeDownlink,
  decodeStopBatch,
  decodeUplink,
  encodeAck,
  encodeConfigChange,
  encodeLive,
  encodeStopBatch,
  Level,
  TIME_UNIT_MS,
  type StopReport,
} from '../../proto/frames.js';

const T0 = Date.UTC(2026, 10, 23, 6, 0, 0);

const reportsArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 3 }),
      dt: fc.integer({ min: 0, max: 900_000 }),
      stopJump: fc.boolean(),
      stop: fc.integer({ min: 1, max: 60 }),
      newTrip: fc.boolean(),
      line: fc.integer({ min: 1, max: 16 }),
      course: fc.integer({ min: 1, max: 99 }),
      destination: fc.integer({ min: 1, max: 999 }),
      boardings: fc.integer({ min: 0, max: 200 }),
      alightings: fc.integer({ min: 0, max: 200 }),
      load: fc.integer({ min: 0, max: 534 }),
      flags: fc.integer({ min: 0, max: 31 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((items) => {
    const reports: StopReport[] = [];
    let seq = 1000;
    let t = T0;
    let stop = 1;
    let trip = { line: 5, course: 3, destination: 51 };
    for (const it of items) {
      seq += 1 + (reports.length ? it.gap : 0);
      t += it.dt;
      stop = it.stopJump ? it.stop : stop + 1;
      if (it.newTrip) trip = { line: it.line, course: it.course, destination: it.destination };
      reports.push({ seq, departure: t, stop, ...trip, boardings: it.boardings, alightings: it.alightings, load: it.load, flags: it.flags });
    }
    return reports;
  });

describe('stop batch frames', () => {
  it('round-trip every field (departure to the 5 s unit)', () => {
    fc.assert(
      fc.property(reportsArb, fc.integer({ min: 0, max: 3_600_000 }), (reports, delay) => {
        const sentAt = reports[reports.length - 1]!.departure + delay;
        const decoded = decodeStopBatch(encodeStopBatch(reports, sentAt), sentAt);
        assert.equal(decoded.length, reports.length);
        decoded.forEach((d, i) => {
          const r = reports[i]!;
          assert.deepEqual({ ...d, departure: 0 }, { ...r, departure: 0 });
          assert.ok(Math.abs(d.departure - r.departure) < TIME_UNIT_MS, `departure off by ${d.departure - r.departure}`);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('costs less per report the fuller the batch', () => {
    const reports = Array.from({ length: 30 }, (_, i): StopReport => ({
      seq: 5000 + i, departure: T0 + i * 100_000, stop: 1 + (i % 20), line: 5, course: 4, destination: i < 20 ? 51 : 52,
      boardings: (i * 7) % 13, alightings: (i * 5) % 11, load: 40 + ((i * 3) % 17), flags: 0,
    }));
    const perReport = (n: number) => encodeStopBatch(reports.slice(0, n), T0 + 3_600_000).length / n;
    assert.ok(perReport(30) < perReport(8) && perReport(8) < perReport(1));
  });

  it('refuses reports out of order or out of range', () => {
    const r: StopReport = { seq: 2, departure: T0, stop: 1, line: 5, course: 1, destination: 51, boardings: 1, alightings: 0, load: 1, flags: 0 };
    assert.throws(() => encodeStopBatch([r, { ...r, seq: 1 }], T0), /ascending/);
    assert.throws(() => encodeStopBatch([{ ...r, boardings: -1 }], T0), RangeError);
    assert.throws(() => encodeStopBatch([], T0), RangeError);
  });
});

describe('live frame', () => {
  it('stays within 12 bytes for realistic values', () => {
    const bytes = encodeLive({ seq: 1_500_000, stop: 99, level: Level.LEVEL_HIGH, occupancyTenths: 30, line: 16 });
    assert.ok(bytes.length <= 12, `${bytes.length} bytes`);
    const back = decodeUplink(1, bytes, T0);
    assert.equal(back.kind, 'live');
  });
});

describe('decoding bad input', () => {
  it('turns any byte string into a result or a ProtocolError, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(1, 2, 3, 4, 10, 11), (bytes, fPort) => {
        try {
          if (fPort >= 10) decodeDownlink(fPort, bytes);
          else decodeUplink(fPort, bytes, T0);
        } catch (error) {
          assert.ok(error instanceof ProtocolError, `${(error as Error).name}: ${(error as Error).message}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('skips unknown fields the protobuf way (a newer sender)', () => {
    const ack = encodeAck({ through: 41, runs: [2, 3] });
    const withUnknown = Uint8Array.from([...ack, 0xf8, 0x01, 0x07]); // field 31, varint 7
    const decoded = decodeDownlink(10, withUnknown);
    assert.deepEqual(decoded.message, { through: 41, runs: [2, 3] });
  });

  it('keeps absent config fields absent', () => {
    const decoded = decodeDownlink(11, encodeConfigChange({ liveEnabled: false }));
    assert.deepEqual(decoded.message, { liveEnabled: false });
  });

  it('names the port of a message it does not know', () => {
    assert.throws(() => decodeUplink(99, new Uint8Array(), T0), /fPort 99/);
  });
});

describe('generated types', () => {
  it('match the schema (run `npm run proto` after changing occupancy.proto)', () => {
    assert.equal(readFileSync(TYPES_PATH, 'utf8'), generateTypes());
  });
});
