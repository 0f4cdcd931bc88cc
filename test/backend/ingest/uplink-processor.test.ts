import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { parseChirpStackUplink, parseTtsUplink } from '../../../backend/ingest/network-events.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { receivedBeyond } from '../../../proto/ack-ranges.js';
import { decodeDownlink, encodeStopBatch, type StopReport } from '../../../proto/frames.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const DEV = '70b3d57ed001029d';
const rep = (seq: number): StopReport => ({ seq, departure: T0 + seq * 90_000, stop: seq, line: 5, course: 1, destination: 51, boardings: 2, alightings: 1, load: seq, flags: 0 });

function envelope(reports: StopReport[], fPort = 2) {
  return { devEui: DEV, fPort, fCnt: 1, payload: encodeStopBatch(reports, T0 + 3_600_000), receivedAt: T0 + 3_600_000 };
}

describe('UplinkProcessor', () => {
  it('hands every report on exactly once, whatever is repeated', () => {
    const got: number[] = [];
    const p = new UplinkProcessor(new VirtualClock(T0), { report: (_d, r) => got.push(r.seq) }, undefined);
    p.handle(envelope([rep(1), rep(2), rep(3)]));
    p.handle(envelope([rep(2), rep(3), rep(4)]));
    p.handle(envelope([rep(1)]));
    assert.deepEqual(got, [1, 2, 3, 4]);
    assert.equal(p.counters.duplicateReports, 3);
    assert.equal(p.receivedThrough(DEV), 4);
  });

  it('counts malformed payloads and carries on', () => {
    const got: number[] = [];
    const p = new UplinkProcessor(new VirtualClock(T0), { report: (_d, r) => got.push(r.seq) }, undefined);
    p.handle({ devEui: DEV, fPort: 2, fCnt: 1, payload: Uint8Array.from([0xff, 0xff, 0xff]), receivedAt: T0 });
    p.handle({ devEui: DEV, fPort: 77, fCnt: 2, payload: Uint8Array.from([1]), receivedAt: T0 });
    p.handle(envelope([rep(1)]));
    assert.equal(p.counters.malformed, 2);
    assert.deepEqual(got, [1]);
  });

  it('acknowledges with gaps, at most as often as the policy allows', async () => {
    const clock = new VirtualClock(T0);
    const sent: Array<{ fPort: number; payload: Uint8Array }> = [];
    const p = new UplinkProcessor(clock, { report: () => undefined }, { send: (_d, fPort, payload) => sent.push({ fPort, payload }) }, { minIntervalMs: 3_600_000, minNewReports: 1 });
    p.handle(envelope([rep(1), rep(2)]));
    p.handle(envelope([rep(5), rep(6)]));
    assert.equal(sent.length, 1, 'second ack held back by the interval');
    await clock.advance(3_600_000);
    p.handle(envelope([rep(8)]));
    assert.equal(sent.length, 2);
    const ack = decodeDownlink(sent[1]!.fPort, sent[1]!.payload);
    assert.equal(ack.kind, 'ack');
    if (ack.kind === 'ack') {
      assert.equal(ack.message.through, 2);
      assert.deepEqual(receivedBeyond(ack.message.through, ack.message.runs), [5, 6, 8]);
    }
  });
});

describe('network server events', () => {
  it('read ChirpStack v4 events with zero fields left out', () => {
    const e = parseChirpStackUplink(JSON.stringify({ time: '2026-11-23T08:00:00Z', deviceInfo: { devEui: '70B3D57ED001029D' }, fPort: 2, data: 'AQI=' }), 0);
    assert.deepEqual({ ...e, payload: [...e.payload] }, { devEui: DEV, fPort: 2, fCnt: 0, payload: [1, 2], receivedAt: T0 });
  });

  it('read The Things Stack v3 uplink messages', () => {
    const e = parseTtsUplink(
      JSON.stringify({ end_device_ids: { device_id: 'tram-669', dev_eui: '70B3D57ED001029D' }, received_at: '2026-11-23T08:00:00Z', uplink_message: { f_port: 1, f_cnt: 9, frm_payload: 'CAE=' } }),
      0,
    );
    assert.equal(e.fCnt, 9);
    assert.equal(e.fPort, 1);
  });

  it('refuse what is not an uplink event, saying why', () => {
    assert.throws(() => parseChirpStackUplink('{"deviceInfo":{}}', 0), /deviceInfo\.devEui/);
    assert.throws(() => parseChirpStackUplink('not json', 0), /not JSON/);
  });
});
