import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import * as acorn from 'acorn';
import fc from 'fast-check';
import { ProtocolError } from '../../../common/errors.js';
import { CODEC_PATH, generateCodec } from '../../../proto/generate.js';
import {
  decodeDownlink,
  decodeUplink,
  encodeAck,
  encodeConfigChange,
  encodeLive,
  encodeStopBatch,
  FPORT,
  type StopReport,
} from '../../../proto/frames.js';
import { stopReportsArb } from '../../helpers/stop-reports.js';

interface CodecResult {
  data?: unknown;
  bytes?: number[];
  fPort?: number;
  errors?: string[];
  warnings?: string[];
}

interface Ts013Codec {
  decodeUplink(input: { bytes: number[]; fPort: number; recvTime?: Date }): CodecResult;
  decodeDownlink(input: { bytes: number[]; fPort: number }): CodecResult;
  encodeDownlink(input: { data: unknown }): CodecResult;
}

const SOURCE = readFileSync(CODEC_PATH, 'utf8');
const RECV = new Date(Date.UTC(2026, 10, 23, 9, 0, 0));

/** The codec as a network server runs it: a bare script in its own context, no require, no module. */
function loadCodec(): Ts013Codec {
  const context = vm.createContext({});
  vm.runInContext(SOURCE, context, { filename: 'ts013-codec.js', timeout: 1000 });
  // Results cross the realm boundary: compare them as plain JSON values.
  const call = (name: string) => (input: unknown) =>
    JSON.parse(vm.runInContext(`JSON.stringify(${name}(input))`, Object.assign(context, { input }))) as CodecResult;
  return { decodeUplink: call('decodeUplink'), decodeDownlink: call('decodeDownlink'), encodeDownlink: call('encodeDownlink') };
}

/** What frames.ts decodes, in the codec's output shape (departures as ISO 8601). */
function viaFrames(fPort: number, bytes: Uint8Array, recvTime: number): CodecResult {
  try {
    const up = decodeUplink(fPort, bytes, recvTime);
    if (up.kind === 'stopBatch') return { data: { kind: up.kind, outboxEpoch: up.epoch, reports: up.reports.map((r) => ({ ...r, departure: new Date(r.departure).toISOString() })) } };
    return { data: { kind: up.kind, ...up.message } };
  } catch (error) {
    if (error instanceof ProtocolError) return { errors: [error.message] };
    throw error;
  }
}

function sameOutcome(codec: CodecResult, frames: CodecResult): void {
  assert.equal(codec.errors !== undefined, frames.errors !== undefined, `codec ${JSON.stringify(codec.errors)} vs frames.ts ${JSON.stringify(frames.errors)}`);
  if (!frames.errors) assert.deepEqual(codec.data, frames.data);
  else assert.ok(codec.errors!.length > 0 && codec.data === undefined);
}

/** A protobuf field with a number the schema does not know, as a newer sender might add. */
const unknownFieldArb = fc.oneof(
  fc.record({ id: fc.integer({ min: 16, max: 2000 }), value: fc.integer({ min: 0, max: 2 ** 31 }) }).map(({ id, value }) => [...varint(id * 8), ...varint(value)]),
  fc.record({ id: fc.integer({ min: 16, max: 2000 }), body: fc.uint8Array({ maxLength: 8 }) }).map(({ id, body }) => [...varint(id * 8 + 2), body.length, ...body]),
  fc.integer({ min: 16, max: 2000 }).map((id) => [...varint(id * 8 + 5), 1, 2, 3, 4]),
);

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  while (v > 127) {
    out.push((v & 127) | 128);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

describe('TS013 codec (backend/codec/ts013-codec.js)', () => {
  const codec = loadCodec();

  it('is generated from the schema and the runtime (run `npm run proto` after changing either)', () => {
    assert.equal(SOURCE, generateCodec());
  });

  it('is ES5.1 that The Things Stack accepts: parses as ES5, under 40 KB, needs no require', () => {
    assert.ok(Buffer.byteLength(SOURCE) < 40 * 1024, `${Buffer.byteLength(SOURCE)} bytes`);
    assert.doesNotThrow(() => acorn.parse(SOURCE, { ecmaVersion: 5, sourceType: 'script' }));
    assert.throws(() => acorn.parse('var f = (x) => x;', { ecmaVersion: 5, sourceType: 'script' }), 'the ES5 check can fail');
    for (const name of ['decodeUplink', 'decodeDownlink', 'encodeDownlink']) assert.match(SOURCE, new RegExp(`^function ${name}\\(input\\)`, 'm'));
  });

  it('decodes stop batches exactly as frames.ts does', () => {
    fc.assert(
      fc.property(stopReportsArb, fc.integer({ min: 0, max: 3_600_000 }), fc.integer({ min: 0, max: 16_383 }), (reports: StopReport[], delay, epoch) => {
        const bytes = encodeStopBatch(reports, reports[reports.length - 1]!.departure + delay, epoch);
        const recv = new Date(reports[reports.length - 1]!.departure + delay);
        const result = codec.decodeUplink({ bytes: [...bytes], fPort: FPORT.stopBatch, recvTime: recv });
        assert.deepEqual(result.errors, undefined);
        sameOutcome(result, viaFrames(FPORT.stopBatch, bytes, recv.getTime()));
      }),
      { numRuns: 300 },
    );
  });

  it('decodes live and health frames exactly as frames.ts does, skipping unknown fields', () => {
    fc.assert(
      fc.property(
        fc.record({ seq: fc.nat(), stop: fc.nat(9999), level: fc.integer({ min: 0, max: 3 }), occupancyTenths: fc.nat(30), line: fc.nat(99) }),
        fc.array(unknownFieldArb, { maxLength: 3 }),
        (live, unknown) => {
          const bytes = Uint8Array.from([...unknown.flat(), ...encodeLive(live)]);
          const result = codec.decodeUplink({ bytes: [...bytes], fPort: FPORT.live, recvTime: RECV });
          sameOutcome(result, viaFrames(FPORT.live, bytes, RECV.getTime()));
          assert.deepEqual(result.data, { kind: 'live', ...live });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with frames.ts on any byte string, for every port: same data or both an error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(1, 2, 3, 4, 99), (bytes, fPort) => {
        sameOutcome(codec.decodeUplink({ bytes: [...bytes], fPort, recvTime: RECV }), viaFrames(fPort, bytes, RECV.getTime()));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with frames.ts on stop batches with random damage', () => {
    fc.assert(
      fc.property(stopReportsArb, fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }), fc.nat(), (reports, hits, cut) => {
        const bytes = [...encodeStopBatch(reports, reports[reports.length - 1]!.departure + 60_000)];
        for (const { at, byte } of hits) bytes[at % bytes.length] = byte;
        const damaged = Uint8Array.from(bytes.slice(0, bytes.length - (cut % 3)));
        sameOutcome(codec.decodeUplink({ bytes: [...damaged], fPort: 2, recvTime: RECV }), viaFrames(2, damaged, RECV.getTime()));
      }),
      { numRuns: 2000 },
    );
  });

  it('reports malformed input in `errors` and never throws', () => {
    const truncated = codec.decodeUplink({ bytes: [0x08, 0x96], fPort: 1, recvTime: RECV });
    assert.ok(truncated.errors && truncated.errors[0]!.includes('out of range'), JSON.stringify(truncated));
    const unknownPort = codec.decodeUplink({ bytes: [], fPort: 77, recvTime: RECV });
    assert.match(unknownPort.errors![0]!, /fPort 77/);
    const notBytes = codec.decodeUplink({ bytes: 'zz' as unknown as number[], fPort: 1 });
    assert.match(notBytes.errors![0]!, /array of bytes/);
    const noTime = codec.decodeUplink({ bytes: [...encodeStopBatch([{ seq: 1, departure: 0, stop: 1, line: 5, course: 1, destination: 51, boardings: 1, alightings: 0, load: 1, flags: 0 }], 60_000)], fPort: 2 });
    assert.equal(noTime.errors, undefined);
    assert.match(noTime.warnings![0]!, /recvTime/);
  });

  it('encodes and decodes downlinks byte for byte as frames.ts does', () => {
    fc.assert(
      fc.property(fc.record({ through: fc.nat(), runs: fc.array(fc.nat(5000), { maxLength: 16 }) }), (ack) => {
        const encoded = codec.encodeDownlink({ data: { kind: 'ack', ...ack } });
        assert.equal(encoded.fPort, FPORT.ack);
        assert.deepEqual(encoded.bytes, [...encodeAck(ack)]);
        assert.deepEqual(codec.decodeDownlink({ bytes: encoded.bytes!, fPort: FPORT.ack }).data, { kind: 'ack', ...decodeDownlink(FPORT.ack, encodeAck(ack)).message });
      }),
      { numRuns: 200 },
    );
    for (const change of [{ liveEnabled: false }, { dailyAirtimeMs: 20_000, maxBatch: 0 }, { healthIntervalMin: 360, liveEnabled: true }]) {
      const encoded = codec.encodeDownlink({ data: { kind: 'config', ...change } });
      assert.deepEqual(encoded.bytes, [...encodeConfigChange(change)], JSON.stringify(change));
      assert.deepEqual(codec.decodeDownlink({ bytes: encoded.bytes!, fPort: FPORT.config }).data, { kind: 'config', ...change });
    }
    assert.match(codec.encodeDownlink({ data: { kind: 'ack', through: -1 } }).errors![0]!, /through/);
    assert.match(codec.encodeDownlink({ data: { kind: 'config', volume: 3 } }).errors![0]!, /no field volume/);
    assert.match(codec.encodeDownlink({ data: null }).errors![0]!, /kind/);
  });
});
