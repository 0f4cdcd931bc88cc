import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ProtocolError } from '../../common/errors.js';
import { generateTypes, TYPES_PATH } from '../../proto/generate.js';
import { messageType } from '../../proto/schema.js';
import { toStopBatch } from '../../proto/stop-batch.js';
import { stopReportsArb } from '../helpers/stop-reports.js';
import {
  decodeDownlink,
  decodeStopBatch,
  decodeUplink,
  encodeAck,
  encodeConfigChange,
  encodeLive,
  encodeStopBatch,
  Level,
  ReportFlag,
  TIME_UNIT_MS,
  type StopBatch,
  type StopReport,
} from '../../proto/frames.js';

/** A StopBatch message on the wire as given, right or wrong, to test the decoder's checks. */
function encodeRawStopBatch(batch: StopBatch): Uint8Array {
  const type = messageType('StopBatch');
  return type.encode(type.fromObject(batch)).finish();
}

const T0 = Date.UTC(2026, 10, 23, 6, 0, 0);

/** Eight departures of line 5 as the bench produces them, across a terminus (seq after a year in service). */
const REALISTIC: StopReport[] = [
  [0, 7, 5, 11, 29, 0],
  [250, 8, 8, 25, 12, 0],
  [595, 9, 9, 1, 20, 0],
  [935, 10, 5, 12, 5, 1],
  [1200, 2, 24, 1, 28, 0],
  [1345, 3, 11, 8, 31, 0],
  [1550, 4, 5, 5, 31, 0],
  [1755, 5, 5, 12, 24, 0],
].map(([t, stop, boardings, alightings, load, flags], i) => ({
  seq: 120_001 + i,
  departure: T0 + t! * 1000 + 321,
  stop: stop!,
  line: 5,
  course: 3,
  destination: i < 3 ? 52 : 51,
  boardings: boardings!,
  alightings: alightings!,
  load: load!,
  flags: flags!,
}));

describe('stop batch frames', () => {
  it('round-trip every field (departure to the 5 s unit)', () => {
    fc.assert(
      fc.property(stopReportsArb, fc.integer({ min: 0, max: 3_600_000 }), (reports, delay) => {
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

  it('reaches the size aim: at most 6 bytes per report in a batch of 8, and a live frame of at most 12', () => {
    const bytes = encodeStopBatch(REALISTIC, T0 + 1_800_000);
    assert.ok(bytes.length <= 48, `${bytes.length} bytes for 8 reports`);
    assert.deepEqual(decodeStopBatch(bytes, T0 + 1_800_000).map((r) => r.load), REALISTIC.map((r) => r.load));
  });

  it('implies what a terminus implies: the flag at a new trip, stop 2 after it, an empty vehicle', () => {
    const batch = toStopBatch(REALISTIC, T0 + 1_800_000);
    assert.deepEqual(batch.flagsAt, [], 'TERMINUS is implied by the trip change');
    assert.deepEqual(batch.stopAt, [], 'stop 2 follows the terminus');
    assert.deepEqual([batch.loadFix, batch.loadFixAt], [[], []], 'a running sum with a reset at the terminus needs no correction');
    assert.deepEqual(batch.trips, [0, 5, 3, 52, 3, 5, 3, 51]);
    // A trip change that is no terminus (a corrected destination) says so in flags_at.
    const corrected = REALISTIC.map((r) => ({ ...r, flags: 0, load: r.seq === 120_004 ? 12 : r.load }));
    assert.deepEqual(toStopBatch(corrected, T0 + 1_800_000).flagsAt, [3, ReportFlag.REPORT_FLAG_TERMINUS]);
  });

  it('sends an estimator correction sparse when few reports have one, dense when many do', () => {
    const few = REALISTIC.map((r, i) => ({ ...r, load: r.load + (i >= 5 ? 2 : 0) }));
    assert.deepEqual(toStopBatch(few, T0 + 1_800_000).loadFixAt, [5, 2]);
    const many = REALISTIC.map((r, i) => ({ ...r, load: r.load + (i % 2 === 0 ? 3 : 0) }));
    const batch = toStopBatch(many, T0 + 1_800_000);
    assert.equal(batch.loadFix.length, 8);
    assert.deepEqual(batch.loadFixAt, []);
    assert.deepEqual(decodeStopBatch(encodeStopBatch(many, T0 + 1_800_000), T0 + 1_800_000).map((r) => r.load), many.map((r) => r.load));
  });

  it('refuses a batch whose columns disagree, naming what is wrong', () => {
    const wire = (b: Partial<StopBatch>) => encodeRawStopBatch({ ...toStopBatch(REALISTIC.slice(0, 2), T0), ...b });
    assert.throws(() => decodeStopBatch(wire({ columns: [1, 2, 3, 4] }), T0), /not 3n - 1/);
    assert.throws(() => decodeStopBatch(wire({ loadFix: [1] }), T0), /load_fix has 1 entries/);
    assert.throws(() => decodeStopBatch(wire({ stopAt: [0, 4] }), T0), /stop_at points outside/);
    assert.throws(() => decodeStopBatch(wire({ flagsAt: [1, 2, 1, 4] }), T0), /names report 1 twice/);
    assert.throws(() => decodeStopBatch(wire({ trips: [1, 5, 3] }), T0), /quadruples/);
    assert.throws(() => decodeStopBatch(wire({ columns: [] }), T0), /no reports/);
    assert.throws(() => decodeStopBatch(wire({ loadFixAt: [0, -50] }), T0), /impossible report/);
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
