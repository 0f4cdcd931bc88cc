import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { VirtualClock } from '../../../common/clock.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { collect } from '../../../backend/store/report-history.js';
import { SqliteReportStore, type ReportStore, type StoredGatewayHealth } from '../../../backend/store/report-store.js';
import { encodeStopBatch, type Health, type StopReport } from '../../../proto/frames.js';
import { STORE_BACKINGS, type Backing } from '../../helpers/store-backings.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const DEV = '70b3d57ed001029d';
const OTHER = '70b3d57ed0010300';
const HEALTH: Health = {
  uptimeMin: 61, outboxDepth: 3, oldestPendingSeq: 17, sensorFaults: 8, airtimeTodayMs: 9400, modelVersion: 10200, softwareVersion: 100, restarts: 2,
  outboxDropped: 0, liveSkipped: 1, newestSeq: 19, outboxEpoch: 4, appendFailures: 0, reportsHeld: 0, estimatorMode: 1, calibrationTrips: 12,
  inOutPermilleOff: -35, cameraScalePermilleOff: 20, worstDoorPermilleOff: -80, worstDoor: 3, guardModelErrorTenths: 21, guardSumErrorTenths: 9,
};
const gatewayHealth = (devEui: string, at: number): StoredGatewayHealth => ({ devEui, lastSeen: at, lastLive: at - 1000, lastReport: at - 2000, healthAt: at, health: { ...HEALTH, uptimeMin: at % 1000 }, frames: 4 });
const rep = (seq: number, load = seq): StopReport => ({ seq, departure: T0 + seq * 90_000, stop: seq % 20, line: 5 + (seq % 2) * 2, course: 1, destination: 51, boardings: 2, alightings: 1, load, flags: 0 });

for (const backing of STORE_BACKINGS) {
  describe(`report store: ${backing.name} (the same suite for every store)`, function () {
    this.timeout(20_000);
    let b: Backing | undefined;
    const open: ReportStore[] = [];
    const openStore = async () => {
      const s = await b!.open();
      open.push(s);
      return s;
    };
    beforeEach(async function () {
      b = await backing.make(this);
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await b?.cleanup();
      b = undefined;
    });

    it('keeps a report once per (device, epoch, seq) and tells new, duplicate and conflicting ones apart', async () => {
      const store = await openStore();
      assert.deepEqual(await store.addBatch(DEV, 0, [rep(1), rep(2)], T0), ['new', 'new']);
      // The same report again, its departure rebuilt from another receive time: a duplicate.
      assert.deepEqual(await store.addBatch(DEV, 0, [{ ...rep(2), departure: rep(2).departure + 5000 }, rep(3)], T0), ['duplicate', 'new']);
      assert.deepEqual(await store.addBatch(DEV, 0, [rep(3, 999)], T0), ['conflict'], 'other contents for a stored seq');
      assert.deepEqual(await store.addBatch(DEV, 1, [rep(1)], T0), ['new'], 'a new epoch numbers afresh');
      assert.equal(await store.add('70b3d57ed0010300', rep(1), T0), true);
      assert.equal(await store.add('70b3d57ed0010300', rep(1), T0), false);
      const all = await store.stopReports({ from: 0, to: Number.MAX_SAFE_INTEGER });
      assert.deepEqual(all.map((r) => `${r.devEui.slice(-4)}/${r.epoch}/${r.seq}`), ['029d/0/1', '029d/1/1', '0300/0/1', '029d/0/2'], 'contested report 3 left out');
      const withContested = await store.stopReports({ from: 0, to: Number.MAX_SAFE_INTEGER, includeContested: true });
      assert.equal(withContested.find((r) => r.seq === 3)?.contested, true);
      assert.equal(withContested.find((r) => r.seq === 3)?.load, 3, 'the first stays stored, marked');
    });

    it('answers history queries by departure time and line, oldest first', async () => {
      const store = await openStore();
      await store.addBatch(DEV, 0, [10, 11, 12, 13, 14].map((q) => rep(q)), T0);
      const window = await store.stopReports({ from: rep(11).departure, to: rep(14).departure });
      assert.deepEqual(window.map((r) => r.seq), [11, 12, 13]);
      const line7 = await store.stopReports({ from: 0, to: Number.MAX_SAFE_INTEGER, line: 7 });
      assert.deepEqual(line7.map((r) => r.seq), [11, 13]);
      assert.deepEqual({ ...line7[0]!, cursor: 0 }, { ...rep(11), devEui: DEV, epoch: 0, receivedAt: T0, contested: false, cursor: 0 });
      const page = await store.since(2, 2);
      assert.deepEqual(page.map((r) => r.seq), [12, 13]);
    });

    it('keeps device state with its epoch, session and the seqs beyond through', async () => {
      const store = await openStore();
      assert.equal(await store.device(DEV), undefined);
      await store.addBatch(DEV, 2, [rep(4), rep(6)], T0);
      await store.addBatch(DEV, 0, [rep(9)], T0);
      await store.saveDevice(DEV, { through: 3, lastAckAt: Number.NEGATIVE_INFINITY, day: T0, acksToday: 1, downlinksToday: 2, epoch: 2, fCnt: 77, fCntDigest: 'abc', lastSeenAt: T0 + 5 });
      const got = await store.device(DEV);
      assert.deepEqual(got, { state: { through: 3, lastAckAt: Number.NEGATIVE_INFINITY, day: T0, acksToday: 1, downlinksToday: 2, epoch: 2, fCnt: 77, fCntDigest: 'abc', lastSeenAt: T0 + 5 }, beyond: [4, 6] });
      await store.saveDevice(DEV, { through: 6, lastAckAt: T0 + 1, day: T0, acksToday: 2, downlinksToday: 3, epoch: 2 });
      assert.deepEqual((await store.device(DEV))?.beyond, []);
      const devices = await store.devices();
      assert.deepEqual(devices.map((d) => [d.devEui, d.through, d.lastAckAt]), [[DEV, 6, T0 + 1]]);
    });

    // Instances and restarts need a store that outlives its handle: SQLite and PostgreSQL.
    if (backing.persistent) it('stores each report exactly once when instances race on the same reports', async () => {
      const a = await openStore();
      const c = await openStore();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 40 }), async (xs, ys) => {
          const devEui = `70b3d57ed00${(0x10000 + ++run).toString(16).padStart(5, '0')}`;
          const batch = (seqs: number[]) => [...new Set(seqs)].map((q) => rep(q));
          const [ra, rc] = await Promise.all([a.addBatch(devEui, 0, batch(xs), T0), c.addBatch(devEui, 0, batch(ys), T0)]);
          const newSeqs = [...batch(xs).filter((_, i) => ra[i] === 'new'), ...batch(ys).filter((_, i) => rc[i] === 'new')].map((r) => r.seq).sort((p, q) => p - q);
          assert.deepEqual(newSeqs, [...new Set([...xs, ...ys])].sort((p, q) => p - q), 'each seq new in exactly one instance');
        }),
        { numRuns: 25 },
      );
    });

    if (backing.persistent) it('keeps reports and device state across a restart', async () => {
      const first = await openStore();
      await first.addBatch(DEV, 0, [rep(1), rep(2)], T0);
      await first.saveDevice(DEV, { through: 2, lastAckAt: T0, day: T0, acksToday: 1, downlinksToday: 1, fCnt: 5, fCntDigest: 'x' });
      await first.close();
      open.splice(open.indexOf(first), 1);
      const again = await openStore();
      assert.equal((await again.device(DEV))?.state.fCnt, 5);
      assert.deepEqual(await again.addBatch(DEV, 0, [rep(2), rep(3)], T0), ['duplicate', 'new']);
    });

    it('reads history page by page in (departure, arrival) order, filtered, contested reports left out', async () => {
      const store = await openStore();
      // Three reports a page: ties of departure (two trams at one instant) fall across page ends.
      const history = store.history({ pageSize: 3 });
      try {
        assert.equal(await history.span(), undefined, 'nothing stored yet');
        assert.deepEqual(await collect(history.between(0, Number.MAX_SAFE_INTEGER)), []);
        const seqs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        await store.addBatch(DEV, 0, seqs.map((q) => rep(q)), T0);
        await store.addBatch(OTHER, 0, seqs.map((q) => rep(q, 50 + q)), T0 + 3_600_000);
        assert.deepEqual(await store.addBatch(DEV, 0, [rep(4, 99)], T0), ['conflict'], 'seq 4 of DEV is contested now');
        const all = await collect(history.between(0, Number.MAX_SAFE_INTEGER));
        const expected = seqs.flatMap((q) => [...(q === 4 ? [] : [`${DEV}/${q}/${q}`]), `${OTHER}/${q}/${50 + q}`]);
        assert.deepEqual(all.map((r) => `${r.devEui}/${r.seq}/${r.load}`), expected);
        assert.deepEqual(all[0], { ...rep(1), devEui: DEV, receivedAt: T0 });
        const window = await collect(history.between(rep(3).departure, rep(6).departure, 7));
        assert.deepEqual(window.map((r) => `${r.devEui.slice(-4)}/${r.seq}`), ['029d/3', '0300/3', '029d/5', '0300/5'], 'line 7 only, [from, to)');
        const early = await collect(history.between(0, Number.MAX_SAFE_INTEGER, undefined, T0 + 1));
        assert.deepEqual(early.map((r) => r.seq), [1, 2, 3, 5, 6, 7, 8, 9, 10], 'received before the cutoff only');
        const day = await history.ofDevice(OTHER.toUpperCase(), rep(2).departure, rep(9).departure);
        assert.deepEqual(day.map((r) => r.seq), [2, 3, 4, 5, 6, 7, 8]);
        assert.deepEqual(await history.lines(0, Number.MAX_SAFE_INTEGER), [5, 7]);
        assert.deepEqual(await history.lines(rep(2).departure, rep(3).departure), [5]);
        assert.deepEqual(await history.span(), { first: rep(1).departure, last: rep(10).departure });
        // A reader may stop early: the rest is never read.
        for await (const r of history.between(0, Number.MAX_SAFE_INTEGER)) {
          assert.equal(r.seq, 1);
          break;
        }
      } finally {
        await history.close();
      }
    });

    it('keeps one row of fleet health per device: replaced on save, removed on request', async () => {
      const store = await openStore();
      assert.deepEqual(await store.gatewayHealth(), []);
      const a = gatewayHealth(DEV, T0);
      const b: StoredGatewayHealth = { devEui: OTHER, lastSeen: T0 + 5, lastLive: T0 + 5, lastReport: undefined, healthAt: undefined, health: undefined, frames: 1 };
      await store.saveGatewayHealth([a, b]);
      const later = { ...gatewayHealth(DEV, T0 + 60_000), frames: 9 };
      await store.saveGatewayHealth([later]);
      assert.deepEqual(await store.gatewayHealth(), [later, b]);
      await store.removeGatewayHealth([OTHER, '0000000000000000']);
      assert.deepEqual(await store.gatewayHealth(), [later]);
      await store.saveGatewayHealth([]);
      await store.removeGatewayHealth([]);
      assert.equal((await store.gatewayHealth()).length, 1);
    });

    if (backing.persistent) it('keeps the fleet health across a restart', async () => {
      const first = await openStore();
      const a = gatewayHealth(DEV, T0);
      await first.saveGatewayHealth([a]);
      await first.close();
      open.splice(open.indexOf(first), 1);
      const again = await openStore();
      assert.deepEqual(await again.gatewayHealth(), [a]);
    });

    it('serves the UplinkProcessor: every report handed on once, in order, from frames of the session', async () => {
      const store = await openStore();
      const got: number[] = [];
      const p = new UplinkProcessor(new VirtualClock(T0), { report: (_d, r) => got.push(r.seq) }, undefined, { store });
      let fCnt = 0;
      const frame = (seqs: number[]) => ({ devEui: DEV, fPort: 2, fCnt: fCnt++, payload: encodeStopBatch(seqs.map((q) => rep(q)), T0 + 3_600_000), receivedAt: T0 + 3_600_000 });
      p.handle(frame([1, 2, 3]));
      p.handle(frame([2, 3, 4]));
      p.handle(frame([1, 5]));
      await p.idle();
      assert.deepEqual(got, [1, 2, 3, 4, 5]);
      assert.equal(p.receivedThrough(DEV), 5);
      p.close(); // saves the device state it put off
      assert.equal((await store.device(DEV))?.state.through, 5);
      assert.equal((await store.device(DEV))?.state.fCnt, 2);
    });
  });
}

describe('SQLite report store: files of an earlier version', () => {
  it('are brought up to date (reports keyed by epoch, devices with session columns), keeping what they held', () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-migrate-'));
    try {
      const path = join(dir, 'reports.db');
      const old = new Database(path);
      old.exec(`CREATE TABLE reports (cursor INTEGER PRIMARY KEY AUTOINCREMENT, dev_eui TEXT NOT NULL, seq INTEGER NOT NULL, departure INTEGER NOT NULL, stop INTEGER NOT NULL,
        line INTEGER NOT NULL, course INTEGER NOT NULL, destination INTEGER NOT NULL, boardings INTEGER NOT NULL, alightings INTEGER NOT NULL, load INTEGER NOT NULL,
        flags INTEGER NOT NULL, received_at INTEGER NOT NULL, UNIQUE (dev_eui, seq));
        CREATE TABLE devices (dev_eui TEXT PRIMARY KEY, through INTEGER NOT NULL, last_ack_at REAL NOT NULL, day INTEGER NOT NULL, acks_today INTEGER NOT NULL, downlinks_today INTEGER NOT NULL);
        INSERT INTO reports (dev_eui, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at) VALUES ('${DEV}', 1, ${T0}, 1, 5, 1, 51, 2, 1, 1, 0, ${T0});
        INSERT INTO devices VALUES ('${DEV}', 1, ${T0}, ${T0}, 1, 1);`);
      old.close();
      const store = new SqliteReportStore(path);
      assert.deepEqual(store.device(DEV)?.state, { through: 1, lastAckAt: T0, day: T0, acksToday: 1, downlinksToday: 1, epoch: 0 });
      assert.deepEqual(store.addBatch(DEV, 0, [{ ...rep(1), departure: T0, stop: 1, line: 5, load: 1 }, rep(2)], T0), ['duplicate', 'new']);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
