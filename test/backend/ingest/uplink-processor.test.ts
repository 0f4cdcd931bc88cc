import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../../common/clock.js';
import { parseChirpStackUplink, parseTtsUplink } from '../../../backend/ingest/network-events.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { MemoryReportStore, SqliteReportStore } from '../../../backend/store/report-store.js';
import { receivedBeyond } from '../../../proto/ack-ranges.js';
import { decodeDownlink, encodeHealth, encodeLive, encodeStopBatch, type StopReport } from '../../../proto/frames.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const DEV = '70b3d57ed001029d';
const rep = (seq: number): StopReport => ({ seq, departure: T0 + seq * 90_000, stop: seq, line: 5, course: 1, destination: 51, boardings: 2, alightings: 1, load: seq, flags: 0 });

// Frame counters rise from frame to frame, as the network server numbers a device's uplinks.
let fCnt = 0;
function envelope(reports: StopReport[], fPort = 2) {
  return { devEui: DEV, fPort, fCnt: ++fCnt, payload: encodeStopBatch(reports, T0 + 3_600_000), receivedAt: T0 + 3_600_000 };
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
    p.handle({ devEui: DEV, fPort: 2, fCnt: ++fCnt, payload: Uint8Array.from([0xff, 0xff, 0xff]), receivedAt: T0 });
    p.handle({ devEui: DEV, fPort: 77, fCnt: ++fCnt, payload: Uint8Array.from([1]), receivedAt: T0 });
    p.handle(envelope([rep(1)]));
    assert.equal(p.counters.malformed, 2);
    assert.deepEqual(got, [1]);
  });

  it('acknowledges with gaps, at most as often as the policy allows, and the deferred ack when the interval is over', async () => {
    const clock = new VirtualClock(T0);
    const sent: Array<{ fPort: number; payload: Uint8Array }> = [];
    const p = new UplinkProcessor(clock, { report: () => undefined }, { send: (_d, fPort, payload) => sent.push({ fPort, payload }) }, { ack: { minIntervalMs: 3_600_000, spreadOverDay: false } });
    p.handle(envelope([rep(1), rep(2)]));
    p.downlinkSent(DEV);
    p.handle(envelope([rep(5), rep(6)]));
    assert.equal(sent.length, 1, 'second ack held back by the interval');
    await clock.advance(3_600_000);
    assert.equal(sent.length, 2, 'queued when the interval was over, for the next uplink to fetch');
    const ack = decodeDownlink(sent[1]!.fPort, sent[1]!.payload);
    assert.equal(ack.kind, 'ack');
    if (ack.kind === 'ack') {
      assert.equal(ack.message.through, 2);
      assert.deepEqual(receivedBeyond(ack.message.through, ack.message.runs), [5, 6]);
    }
  });

  it('never queues a second ack while the network server holds the first', async () => {
    const clock = new VirtualClock(T0);
    let sent = 0;
    const p = new UplinkProcessor(clock, { report: () => undefined }, { send: () => sent++ }, { ack: { minIntervalMs: 0, spreadOverDay: false, pendingTimeoutMs: 6 * 3_600_000 } });
    p.handle(envelope([rep(1)]));
    p.handle(envelope([rep(2)]));
    await clock.advance(3_600_000);
    p.handle(envelope([rep(3)]));
    assert.equal(sent, 1);
    p.downlinkSent(DEV);
    assert.equal(sent, 2, 'the txack lets the next one go');
  });

  it('spends at most 8 acks and 10 downlinks a day on a device, JoinAccepts and config changes included', async () => {
    const clock = new VirtualClock(T0);
    const ports: number[] = [];
    const p = new UplinkProcessor(clock, { report: () => undefined }, { send: (_d, fPort) => ports.push(fPort) }, { ack: { minIntervalMs: 0, spreadOverDay: false, joinReserve: 0 } });
    for (let seq = 1; seq <= 30; seq++) {
      p.handle(envelope([rep(seq)]));
      p.downlinkSent(DEV);
      await clock.advance(60_000);
    }
    assert.equal(ports.filter((f) => f === 10).length, 8);
    // The device joins again: the join event and its first frame of the new session (FCnt 0).
    p.joined(DEV);
    fCnt = -1;
    p.handle(envelope([rep(31)]));
    assert.equal(p.counters.sessionsStarted, 1);
    assert.equal(p.sendConfig(DEV, { liveEnabled: false }), true, 'the tenth downlink of the day');
    assert.equal(p.sendConfig(DEV, { maxBatch: 20 }), false, 'the budget is spent');
    assert.equal(p.counters.downlinksRefused, 1);
    await clock.advance(86_400_000);
    p.handle(envelope([rep(32)]));
    assert.equal(ports.filter((f) => f === 10).length, 9, 'a new day, a new budget');
  });

  it('spreads the acks left over the rest of the day', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 23, 16, 0, 0));
    let acks = 0;
    const p = new UplinkProcessor(clock, { report: () => undefined }, { send: () => acks++ }, { ack: { minIntervalMs: 60_000 } });
    for (let seq = 1; seq <= 48; seq++) {
      p.handle(envelope([rep(seq)]));
      p.downlinkSent(DEV);
      await clock.advance(5 * 60_000);
    }
    // 16:00 to midnight leaves 8 h for 8 acks: about one an hour until 20:00, not one every uplink.
    assert.ok(acks >= 4 && acks <= 5, `${acks} acks`);
  });

  it('keeps one downlink of the day for a JoinAccept', async () => {
    const clock = new VirtualClock(T0);
    let acks = 0;
    const p = new UplinkProcessor(clock, { report: () => undefined }, { send: () => acks++ }, { ack: { minIntervalMs: 0, spreadOverDay: false } });
    for (let seq = 1; seq <= 5; seq++) {
      p.handle(envelope([rep(seq)]));
      p.downlinkSent(DEV);
    }
    // Four joins, each seen as a new session starting in the uplinks (FCnt from 0 again).
    for (let j = 0; j < 4; j++) {
      p.joined(DEV);
      fCnt = -1;
      p.handle({ ...envelope([rep(6 + j)]), fPort: 1, payload: encodeLive({ seq: 6 + j, stop: 1, level: 1, occupancyTenths: 1, line: 5 }) });
    }
    p.handle(envelope([rep(6)]));
    assert.equal(p.counters.sessionsStarted, 4);
    assert.equal(acks, 5, 'nine downlinks today: the tenth is kept for a JoinAccept, not spent on an ack');
  });

  it('answers a resend or a health frame that shows an ack was lost or reports are missing', () => {
    const clock = new VirtualClock(T0);
    const acks: Array<{ through: number; runs: number[] }> = [];
    const p = new UplinkProcessor(clock, { report: () => undefined }, {
      send: (_d, fPort, payload) => {
        const d = decodeDownlink(fPort, payload);
        if (d.kind === 'ack') acks.push(d.message);
      },
    }, { ack: { minIntervalMs: 0, spreadOverDay: false } });
    p.handle(envelope([rep(1), rep(2)]));
    p.downlinkSent(DEV);
    p.handle(envelope([rep(1), rep(2)]));
    assert.equal(acks.length, 2, 'a duplicate means our ack did not arrive: ack again');
    p.downlinkSent(DEV);
    const health = encodeHealth({ uptimeMin: 60, outboxDepth: 4, oldestPendingSeq: 3, sensorFaults: 0, airtimeTodayMs: 900, modelVersion: 0, softwareVersion: 100, restarts: 1, outboxDropped: 0, liveSkipped: 0, newestSeq: 6, outboxEpoch: 0, appendFailures: 0, reportsHeld: 0 });
    p.handle({ devEui: DEV, fPort: 3, fCnt: ++fCnt, payload: health, receivedAt: T0 });
    assert.deepEqual(acks[2], { through: 2, runs: [4] }, 'reports 3..6 the gateway has were never heard');
  });
});

describe('UplinkProcessor durability', () => {
  it('makes the store durable, the device state included, before an ack goes down; other state within a second', async () => {
    const clock = new VirtualClock(T0);
    const order: string[] = [];
    const store = new MemoryReportStore();
    const saveDevice = store.saveDevice.bind(store);
    store.saveDevice = (devEui, state) => {
      order.push(`save through=${state.through}`);
      saveDevice(devEui, state);
    };
    (store as MemoryReportStore & { sync(): void }).sync = () => order.push('sync');
    const p = new UplinkProcessor(clock, { report: () => undefined }, { send: () => order.push('send ack') }, { store, ack: { minIntervalMs: 3_600_000, spreadOverDay: false } });
    p.handle(envelope([rep(1), rep(2)]));
    assert.deepEqual(order, ['save through=2', 'sync', 'send ack']);
    p.handle(envelope([rep(3)]));
    assert.deepEqual(order.length, 3, 'no ack due: the state waits');
    await clock.advance(1000);
    assert.deepEqual(order.slice(3), ['save through=3']);
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

describe('UplinkProcessor with outbox epochs', () => {
  // Frames of one session: the frame counter goes up (the back office refuses a repeated one with other contents).
  let batchFCnt = 0;
  const batch = (epoch: number, seqs: number[]) => ({
    devEui: DEV, fPort: 2, fCnt: ++batchFCnt, payload: encodeStopBatch(seqs.map(rep), T0 + 3_600_000, epoch), receivedAt: T0 + 3_600_000,
  });

  it('takes the same seqs again under a new epoch (a gateway whose outbox started over), and de-duplicates within each', () => {
    const got: string[] = [];
    const p = new UplinkProcessor(new VirtualClock(T0), { report: (_d, r) => got.push(`${r.seq}`) }, undefined);
    p.handle(batch(4242, [1, 2, 3, 4, 5]));
    p.handle(batch(977, [1, 2, 3]));
    p.handle(batch(977, [2, 3, 4]));
    assert.deepEqual(got, ['1', '2', '3', '4', '5', '1', '2', '3', '4'], 'nothing of the new epoch taken for a duplicate');
    assert.equal(p.counters.duplicateReports, 2);
    assert.equal(p.counters.epochChanges, 1);
    assert.equal(p.receivedThrough(DEV), 4, 'through counts in the epoch the device numbers under now');
  });

  it('acks in the new epoch once the health frame announces it', () => {
    const acks: Array<{ through: number; runs: number[] }> = [];
    const p = new UplinkProcessor(new VirtualClock(T0), { report: () => undefined }, {
      send: (_d, fPort, payload) => {
        const d = decodeDownlink(fPort, payload);
        if (d.kind === 'ack') acks.push(d.message);
      },
    }, { ack: { minIntervalMs: 0, spreadOverDay: false } });
    p.handle(batch(11, range(1, 30)));
    p.downlinkSent(DEV);
    assert.deepEqual(acks[0], { through: 30, runs: [] });
    const health = encodeHealth({
      uptimeMin: 0, outboxDepth: 2, oldestPendingSeq: 1, sensorFaults: 0, airtimeTodayMs: 0, modelVersion: 0, softwareVersion: 100, restarts: 1, outboxDropped: 0, liveSkipped: 0,
      newestSeq: 2, outboxEpoch: 12, appendFailures: 0, reportsHeld: 0,
    });
    p.handle({ devEui: DEV, fPort: 3, fCnt: ++batchFCnt, payload: health, receivedAt: T0 });
    assert.deepEqual(acks[1], { through: 0, runs: [2] }, 'a new outbox: its reports 1 and 2 are missing, not long acknowledged');
  });

  it('keeps reports of both epochs apart in the SQLite store, across a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-epoch-'));
    try {
      const path = join(dir, 'reports.db');
      const got: number[] = [];
      let store = new SqliteReportStore(path);
      let p = new UplinkProcessor(new VirtualClock(T0), { report: (_d, r) => got.push(r.seq) }, undefined, { store });
      p.handle(batch(100, [1, 2, 3]));
      p.handle(batch(200, [1, 2]));
      store.close();
      store = new SqliteReportStore(path);
      p = new UplinkProcessor(new VirtualClock(T0), { report: (_d, r) => got.push(r.seq) }, undefined, { store });
      p.handle(batch(200, [1, 2, 3]));
      p.handle(batch(100, [3]));
      assert.deepEqual(got, [1, 2, 3, 1, 2, 3], 'after the restart only 200/3 is new');
      assert.deepEqual(store.since(0, 10).map((r) => `${r.epoch}/${r.seq}`), ['100/1', '100/2', '100/3', '200/1', '200/2', '200/3']);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
