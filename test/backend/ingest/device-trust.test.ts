import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import sinon from 'sinon';
import { VirtualClock } from '../../../common/clock.js';
import { DEFAULT_SESSION_RULES, judgeFrame, newSession, armJoin } from '../../../backend/ingest/device-session.js';
import { DeviceTrust } from '../../../backend/ingest/device-trust.js';
import { MqttIngest } from '../../../backend/ingest/mqtt-ingest.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { capacitiesByType } from '../../../backend/ingest/vehicle-capacities.js';
import { MemoryReportStore, SqliteReportStore } from '../../../backend/store/report-store.js';
import { encodeLive, encodeStopBatch, Level, type StopReport, type Uplink } from '../../../proto/frames.js';
import { epochOf } from '../../../backend/ingest/frame-epoch.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const TRAM = '70b3d57ed001029d'; // MGT-K1 no. 669: 50 seats + 68 standing = 118 places
const APP = 'b1f4c2d0-0000-4000-8000-00000000a001';
const fleet = new Map([[TRAM, { vehicleId: '669', type: 'MGT-K1' }]]);
const capacities = capacitiesByType();

const rep = (seq: number, load = 30): StopReport => ({ seq, departure: T0 + seq * 90_000, stop: 1 + (seq % 20), line: 5, course: 1, destination: 51, boardings: 3, alightings: 2, load, flags: 0 });
const batch = (devEui: string, fCnt: number, reports: StopReport[]) => ({ devEui, fPort: 2, fCnt, payload: encodeStopBatch(reports, T0 + 3_600_000), receivedAt: T0 + 3_600_000 });
const live = (devEui: string, fCnt: number, seq: number) => ({ devEui, fPort: 1, fCnt, payload: encodeLive({ seq, stop: 4, level: Level.LEVEL_HIGH, occupancyTenths: 9, line: 5 }), receivedAt: T0 });
const euiArb = fc.stringMatching(/^[0-9a-f]{16}$/).filter((e) => e !== TRAM);

function backend(trust: DeviceTrust, store = new MemoryReportStore()) {
  const handed: Array<{ devEui: string; report: StopReport }> = [];
  const levels: string[] = [];
  const clock = new VirtualClock(T0);
  const sent: string[] = [];
  const p = new UplinkProcessor(
    clock,
    { report: (devEui, report) => handed.push({ devEui, report }), live: (devEui) => levels.push(devEui) },
    { send: (devEui) => sent.push(devEui) },
    { store, trust, ack: { minIntervalMs: 0, spreadOverDay: false } },
  );
  return { p, handed, levels, store, clock, sent };
}

describe('backend trust: the fleet allowlist', () => {
  it('the vehicle types file gives each type its design capacity', () => {
    assert.equal(capacities.get('MGT-K1'), 118);
    assert.equal(capacities.get('MGT6D'), 172);
  });

  it('never stores, acknowledges or publishes anything of a device not in the inventory, and counts it (fuzzed)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(euiArb, fc.nat(1000), fc.boolean()), { minLength: 1, maxLength: 40 }), (forged) => {
        const trust = new DeviceTrust({ fleet, capacities, quarantineListed: 10 });
        const b = backend(trust);
        b.p.handle(batch(TRAM, 1, [rep(1)]));
        for (const [devEui, n, asLive] of forged) {
          b.p.joined(devEui);
          b.p.handle(asLive ? live(devEui, n, n) : batch(devEui, n, [rep(1 + n, 10)]));
          b.p.downlinkSent(devEui);
        }
        assert.deepEqual(b.handed.map((h) => h.devEui), [TRAM]);
        assert.deepEqual(b.levels, [], 'no level of an unknown device on the board');
        assert.deepEqual(b.store.devices().map((d) => d.devEui), [TRAM]);
        assert.ok(b.sent.every((d) => d === TRAM), 'no downlink to an unknown device');
        assert.equal(trust.rejected['unknown-device'], forged.length * 2, 'each forged join and uplink counted');
        assert.ok(trust.quarantine().length <= 10 && trust.quarantine().length === Math.min(10, new Set(forged.map((f) => f[0])).size));
        assert.equal(b.p.deviceSummaries().length, 1);
      }),
    );
  });

  it('keeps memory and tables bounded under 50,000 forged DevEUIs, with and without an inventory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trust-flood-'));
    try {
      for (const trust of [new DeviceTrust({ fleet, capacities }), new DeviceTrust({ maxDevices: 200, capacities })]) {
        const store = new SqliteReportStore(join(dir, `flood-${trust.admittedCount}-${Math.random()}.db`));
        const clock = new VirtualClock(T0);
        const client = { publishAsync: sinon.stub().resolves(undefined) };
        const ingest = new MqttIngest(client as unknown as MqttClient, clock, { server: 'chirpstack' });
        const p = new UplinkProcessor(clock, { report: () => undefined }, ingest, { store, trust, ack: { minIntervalMs: 0 } });
        ingest.attach(p);
        for (let i = 0; i < 50_000; i++) {
          const devEui = (0x70b3d57e00000000n + BigInt(i) * 7919n).toString(16).padStart(16, '0');
          const data = Buffer.from(encodeStopBatch([rep(1)], T0)).toString('base64');
          ingest.onMessage(`application/${APP}/device/${devEui}/event/up`, Buffer.from(JSON.stringify({ deviceInfo: { devEui }, fCnt: 1, fPort: 2, data })));
        }
        const bound = trust.vehicle(TRAM) ? 1 : 200;
        assert.ok(trust.admittedCount <= bound, `${trust.admittedCount} admitted`);
        assert.ok(p.deviceSummaries().length <= bound);
        assert.ok(store.devices().length <= bound, `${store.devices().length} rows in devices`);
        assert.ok(store.since(0, 100_000).length <= bound);
        assert.ok(ingest.routeCount <= bound, `${ingest.routeCount} downlink routes`);
        assert.ok(trust.quarantine().length <= 100);
        assert.equal(trust.quarantinedMessages, 50_000 - trust.admittedCount);
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backend trust: plausibility per vehicle type', () => {
  it('refuses a load of 999 on a 118-place tram, and any load or count above twice the capacity (fuzzed)', () => {
    const b = backend(new DeviceTrust({ fleet, capacities }));
    b.p.handle(batch(TRAM, 1, [rep(1, 999)]));
    assert.deepEqual(b.handed, []);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 400 }), (load, boardings) => {
        const t = backend(new DeviceTrust({ fleet, capacities }));
        t.p.handle(batch(TRAM, 1, [{ ...rep(1, load), boardings }]));
        const plausible = load <= 236 && boardings <= 236;
        assert.equal(t.handed.length, plausible ? 1 : 0, `load ${load}, boardings ${boardings}`);
        assert.equal(t.store.since(0, 10).length, plausible ? 1 : 0);
        // Refused or not, it came from the device's session: acknowledged, so it leaves the outbox.
        assert.equal(t.p.receivedThrough(TRAM), 1);
      }),
    );
  });
});

describe('backend trust: only frames of the device\'s own session', () => {
  it('a forged frame that does not continue the session neither gets in nor shuts the genuine report out (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 60_000 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 16_390, max: 2 ** 31 })), { minLength: 1, maxLength: 8 }),
        (start, forgedOffsets) => {
          const b = backend(new DeviceTrust({ fleet, capacities }));
          let fCnt = start;
          b.p.handle(batch(TRAM, fCnt, [rep(1), rep(2)]));
          // Forged frames: an old counter (replay) or one far beyond the session, with reports 3..5 made up.
          for (const [i, off] of forgedOffsets.entries()) b.p.handle(batch(TRAM, off <= 4 ? start - off : start + off, [rep(3 + (i % 3), 111)]));
          for (let seq = 3; seq <= 5; seq++) b.p.handle(batch(TRAM, ++fCnt, [rep(seq)]));
          assert.deepEqual(b.handed.map((h) => [h.report.seq, h.report.load]), [[1, 30], [2, 30], [3, 30], [4, 30], [5, 30]]);
          assert.ok(b.p.counters.rejectedFrames >= forgedOffsets.filter((o) => o > 0).length);
        },
      ),
    );
  });

  it('a second report for a stored seq with other contents is caught: both kept out of what is published', () => {
    const b = backend(new DeviceTrust({ fleet, capacities }));
    b.p.handle(batch(TRAM, 10, [rep(1)]));
    // Another frame that continues the session (a forger who reads the broker can do that) with seq 2 made up, then the genuine seq 2.
    b.p.handle(batch(TRAM, 11, [rep(2, 111)]));
    const before = b.handed.length;
    const store = b.store;
    b.p.handle(batch(TRAM, 12, [rep(2)]));
    assert.equal(b.handed.length, before, 'not handed on a second time');
    assert.equal(b.p.trust.rejected['seq-conflict'], 0, 'the processor already had seq 2: a duplicate by number');
    // Straight to the store, as another instance would: the contents differ, so it is contested.
    assert.deepEqual(store.addBatch(TRAM, 0, [rep(2)], T0), ['conflict']);
    assert.deepEqual(store.stopReports({ from: 0, to: Number.MAX_SAFE_INTEGER }).map((r) => r.seq), [1]);
  });

  it('refuses reports far beyond the highest seq the device has given', () => {
    const b = backend(new DeviceTrust({ fleet, capacities }));
    b.p.handle(batch(TRAM, 1, [rep(100)]));
    b.p.handle(batch(TRAM, 2, [rep(100 + 50_001)]));
    assert.deepEqual(b.handed.map((h) => h.report.seq), [100]);
    assert.equal(b.p.trust.rejected['seq-out-of-window'], 1);
  });

  it('a new session starts after a join (the join event before or after the first frame), or after three frames in a row without one', () => {
    const s = newSession();
    assert.equal(judgeFrame(s, 500, 'a', T0), 'continues');
    assert.equal(judgeFrame(s, 500, 'a', T0), 'redelivery');
    assert.equal(judgeFrame(s, 500, 'b', T0), 'fcnt-conflict');
    // ChirpStack: the join event comes with the first uplink after the join; here the uplink first.
    assert.equal(judgeFrame(s, 0, 'c', T0), 'fcnt-replay');
    armJoin(s);
    assert.equal(judgeFrame(s, 1, 'd', T0), 'new-session');
    assert.equal(judgeFrame(s, 2, 'e', T0), 'continues');
    for (let i = 3; i < 600; i++) judgeFrame(s, i, `f${i}`, T0);
    // Join event lost: three frames that continue each other from a low counter, while the old session is quiet.
    assert.equal(judgeFrame(s, 0, 'g', T0 + 1000), 'fcnt-replay');
    assert.equal(judgeFrame(s, 1, 'h', T0 + 2000), 'fcnt-replay');
    assert.equal(judgeFrame(s, 2, 'i', T0 + 3000), 'fcnt-replay', 'the old session spoke a moment ago: no take-over');
    assert.equal(judgeFrame(s, 3, 'i', T0 + 120_000), 'new-session');
    assert.equal(judgeFrame(s, 4, 'j', T0 + 121_000), 'continues');
  });

  it('the session check never throws and accepts only rising counters within the gap (fuzzed)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(fc.nat(100), fc.nat(2 ** 32), fc.integer()), fc.boolean(), fc.string({ maxLength: 2 })), { maxLength: 60 }), (events) => {
        const s = newSession();
        for (const [k, [fCnt, join, digest]] of events.entries()) {
          if (join) armJoin(s);
          const before = s.fCnt;
          const chain = s.candidate !== undefined;
          const v = judgeFrame(s, fCnt, digest, T0 + k * 30_000);
          if (v === 'continues' && before !== undefined) assert.ok(fCnt > before && fCnt - before <= DEFAULT_SESSION_RULES.maxGap);
          if (v === 'new-session') assert.ok(fCnt < DEFAULT_SESSION_RULES.restartBelow || before === undefined || chain, 'a restart begins low, or continues a chain that did');
          if (!['continues', 'new-session'].includes(v)) assert.equal(s.fCnt, before, `${v} leaves the session as it was`);
        }
      }),
    );
  });
});

describe('backend trust: the downlink budget', () => {
  it('forged join events and tx acks do not spend a device\'s budget; a real rejoin (new session in the uplinks) does (fuzzed)', () => {
    fc.assert(
      fc.property(fc.nat(30), fc.nat(30), (joins, txacks) => {
        const acks = (forge: boolean) => {
          const b = backend(new DeviceTrust({ fleet, capacities }));
          let fCnt = 100;
          for (let seq = 1; seq <= 12; seq++) {
            if (forge) {
              for (let j = 0; j < joins; j++) b.p.joined(TRAM);
              for (let t = 0; t < txacks; t++) b.p.downlinkSent(TRAM);
            }
            b.p.handle(batch(TRAM, ++fCnt, [rep(seq)]));
            b.p.downlinkSent(TRAM);
          }
          return b.sent.length;
        };
        assert.equal(acks(true), acks(false));
        assert.equal(acks(false), 8, 'the day\'s eight acks');
      }),
      { numRuns: 30 },
    );
    const b = backend(new DeviceTrust({ fleet, capacities }));
    b.p.handle(batch(TRAM, 100, [rep(1)]));
    b.p.joined(TRAM);
    b.p.handle(batch(TRAM, 0, [rep(2)]));
    assert.equal(b.p.counters.sessionsStarted, 1, 'the JoinAccept counted once, from the uplinks');
  });
});

describe('backend trust: the outbox epoch', () => {
  it('is read from a batch or a health frame; live frames carry none', () => {
    const reports: StopReport[] = [];
    assert.equal(epochOf({ kind: 'stopBatch', fPort: 2, reports, epoch: 3 } as unknown as Uplink), 3);
    assert.equal(epochOf({ kind: 'health', fPort: 3, message: { outboxEpoch: 7 } } as unknown as Uplink), 7);
    assert.equal(epochOf({ kind: 'live', fPort: 1, message: { seq: 4 } } as unknown as Uplink), undefined, 'live frames carry none');
  });
});
