/**
 * Storage faults of the outbox on real file systems: a full tmpfs, a damaged page, a WAL that lost
 * its tail, files that cannot be used at all. Nothing here mocks SQLite or the file system.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { VirtualClock } from '../../../common/clock.js';
import { ConfigError } from '../../../common/errors.js';
import { Rng } from '../../../common/random.js';
import { RunningSumEstimator } from '../../../gateway/estimation/estimator.js';
import { Gateway, OUTBOX_RETRY_MS } from '../../../gateway/gateway.js';
import { Outbox, type NewReport } from '../../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../../gateway/uplink/uplink-scheduler.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { decodeUplink, encodeHealth, encodeStopBatch, FPORT, type Health, type StopReport } from '../../../proto/frames.js';
import { FakeLoraModem } from '../../helpers/fake-lora-modem.js';
import { tmpfsOrSkip, type Tmpfs } from '../../helpers/tmpfs.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const report = (i: number): NewReport => ({ departure: T0 + i * 60_000, stop: (i % 30) + 1, line: 5, course: 1, destination: 51, boardings: i % 7, alightings: i % 5, load: 20 + (i % 9), flags: 0 });
const seqsOf = (outbox: Outbox) => outbox.unsent(100_000).map((r) => r.seq);
/** The health frame the gateway would send now, through the wire and back. */
function decodeHealth(gateway: Gateway): Health {
  const up = decodeUplink(FPORT.health, encodeHealth(gateway.scheduler.healthSource!()), T0);
  assert.equal(up.kind, 'health');
  return (up as { message: Health }).message;
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Outbox storage faults', function () {
  this.timeout(60_000);
  let fs: Tmpfs | undefined;
  let dir: string | undefined;
  afterEach(() => {
    fs?.unmount();
    fs = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('on a full disk gives every report its number, holds it in memory, counts it, and stores it once there is room', function () {
    fs = tmpfsOrSkip(this, 1024);
    const path = join(fs.dir, 'outbox.db');
    const outbox = new Outbox({ path });
    for (let i = 1; i <= 5; i++) outbox.append(report(i));
    const filler = fs.fill();
    const given = range(6, 405).map((i) => outbox.append(report(i)).seq);
    assert.deepEqual(given, range(6, 405), 'each report got the next number, none twice');
    assert.ok(outbox.appendFailures >= 390, `append failures counted: ${outbox.appendFailures}`);
    assert.equal(outbox.heldCount + outbox.size, 405, 'every report is on disk or held');
    assert.equal(outbox.nextSeq, 406);
    assert.equal(outbox.retryHeld(), outbox.heldCount, 'still full: nothing written, nothing lost');

    rmSync(filler);
    assert.equal(outbox.retryHeld(), 0, 'room again: every held report is written');
    assert.deepEqual(seqsOf(outbox), range(1, 405), 'all 405, in order, no gap');
    assert.equal(outbox.unsent(1000).find((r) => r.seq === 200)!.stop, report(200).stop, 'stored as given');
    const failures = outbox.appendFailures;
    outbox.close();
    const again = new Outbox({ path });
    assert.equal(again.appendFailures, failures, 'the failures were recorded in the file once it took writes');
    assert.equal(again.append(report(406)).seq, 406);
    again.close();
  });

  it('gives up only what it cannot hold, counted, and leaves their numbers as a gap the backend sees', function () {
    fs = tmpfsOrSkip(this, 1024);
    const outbox = new Outbox({ path: join(fs.dir, 'outbox.db'), maxHeld: 50 });
    outbox.append(report(1));
    const filler = fs.fill();
    for (let i = 2; i <= 201; i++) outbox.append(report(i));
    const held = outbox.heldCount;
    assert.equal(held, 50, 'bounded in memory');
    const stored = outbox.size;
    assert.equal(outbox.dropped, 201 - stored - held, 'what gave way is counted as dropped');
    rmSync(filler);
    assert.equal(outbox.retryHeld(), 0);
    const seqs = seqsOf(outbox);
    assert.deepEqual(seqs.slice(-50), range(152, 201), 'the newest 50 kept their numbers');
    // The backend sees the gap: it has 1..k and 152..201, and its ack lists the rest missing.
    const seen: number[] = [];
    const backend = new UplinkProcessor(new VirtualClock(T0), { report: (_d, r) => seen.push(r.seq) }, undefined);
    const all = outbox.unsent(1000);
    for (let k = 0; k < all.length; k += 10) {
      backend.handle({ devEui: 'dev', fPort: 2, fCnt: k, payload: encodeStopBatch(all.slice(k, k + 10), T0 + 86_400_000, outbox.epoch), receivedAt: T0 + 86_400_000 });
    }
    assert.deepEqual(seen, seqs);
    assert.ok(backend.receivedThrough('dev') < 151, 'the missing numbers are a gap, not silently closed');
    outbox.close();
  });

  it('counts appends a damaged page refuses, keeps the reports in memory, and still answers for the health frame', () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-corrupt-'));
    const path = join(dir, 'outbox.db');
    const first = new Outbox({ path });
    for (let i = 1; i <= 300; i++) first.append(report(i));
    first.close();
    const db = new Database(path, { readonly: true });
    const root = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'reports'").get() as { rootpage: number }).rootpage;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (root - 1) * pageSize);
    closeSync(fd);

    const outbox = new Outbox({ path });
    const given = range(301, 310).map((i) => outbox.append(report(i)).seq);
    assert.deepEqual(given, range(301, 310));
    assert.equal(outbox.appendFailures, 10);
    assert.equal(outbox.heldCount, 10);
    assert.doesNotThrow(() => [outbox.size, outbox.oldestPending, outbox.dropped], 'health can still be built');
    assert.equal(outbox.oldestPending?.seq, 301, 'held reports are pending too');
    assert.equal(outbox.retryHeld(), 10, 'a damaged page stays damaged: still held, nothing lost');
    outbox.markSent([1], T0);
    assert.ok(outbox.faults.writeFailures >= 1, 'other writes that fail are counted, not thrown');
    outbox.close();
  });

  it('starts a new epoch when the WAL lost its tail, so the backend takes the renumbered and new reports', () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-wal-'));
    const path = join(dir, 'outbox.db');
    const child = fileURLToPath(new URL('../../helpers/outbox-wal-child.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, path, '40'], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const [oldEpoch, lastSent] = r.stdout.trim().split(' ').map(Number) as [number, number];
    assert.equal(lastSent, 40);
    assert.ok(statSync(`${path}-wal`).size > 0, 'the reports live in the WAL');

    // The backend received all 40 under the old epoch.
    const seen: string[] = [];
    const backend = new UplinkProcessor(new VirtualClock(T0), { report: (_d, rep) => seen.push(`${rep.stop}`) }, undefined);
    const sent: StopReport[] = range(1, 40).map((seq) => ({ ...report(seq - 1), seq }));
    backend.handle({ devEui: 'dev', fPort: 2, fCnt: 1, payload: encodeStopBatch(sent.slice(0, 20), T0 + 86_400_000, oldEpoch), receivedAt: T0 + 86_400_000 });
    backend.handle({ devEui: 'dev', fPort: 2, fCnt: 2, payload: encodeStopBatch(sent.slice(20), T0 + 86_400_000, oldEpoch), receivedAt: T0 + 86_400_000 });
    assert.equal(seen.length, 40);

    // The tail of the WAL is lost (a torn write, a bad SD card): SQLite keeps only the frames before it.
    truncateSync(`${path}-wal`, Math.floor(statSync(`${path}-wal`).size / 3));
    const outbox = new Outbox({ path });
    assert.ok(outbox.nextSeq <= 40, `the sequence went back (next ${outbox.nextSeq})`);
    assert.notEqual(outbox.epoch, oldEpoch, 'a new epoch');
    assert.equal(outbox.epochReason, 'sequence went back');
    const survivors = outbox.unsent(1000);
    assert.deepEqual(survivors.map((s) => s.seq), range(1, survivors.length), 'what survived is numbered again from 1, as unsent');
    for (let i = 0; i < 5; i++) outbox.append({ ...report(i), departure: 1_900_000_000_000 + i * 60_000 });
    const pending = outbox.unsent(1000);
    const before = seen.length;
    backend.handle({ devEui: 'dev', fPort: 2, fCnt: 3, payload: encodeStopBatch(pending, T0 + 86_400_000, outbox.epoch), receivedAt: T0 + 86_400_000 });
    assert.equal(seen.length - before, pending.length, 'every report of the new epoch is new to the backend, none dropped as a duplicate');
    assert.equal(backend.counters.epochChanges, 1);
    outbox.close();
  });

  it('keeps its epoch across clean restarts, and a fresh file gets a new one', () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-epoch-'));
    const path = join(dir, 'outbox.db');
    const a = new Outbox({ path });
    a.append(report(1));
    a.beforeSend([1]);
    a.markSent([1], T0);
    const epoch = a.epoch;
    a.close();
    const b = new Outbox({ path });
    assert.equal(b.epoch, epoch);
    assert.equal(b.epochReason, 'kept');
    assert.equal(b.append(report(2)).seq, 2);
    b.close();
    for (const f of ['outbox.db', 'outbox.db-wal', 'outbox.db-shm']) rmSync(join(dir, f), { force: true });
    const c = new Outbox({ path });
    assert.notEqual(c.epoch, epoch, 'a new SD card, a file moved aside: a new epoch');
    assert.equal(c.append(report(3)).seq, 1);
    c.close();
  });

  it('refuses files it cannot use with one line that names the file and what to do', function () {
    dir = mkdtempSync(join(tmpdir(), 'outbox-bad-'));
    const notDb = join(dir, 'notes.db');
    writeFileSync(notDb, 'these are not the reports you are looking for\n'.repeat(200));
    const messageOf = (path: string) => {
      try {
        new Outbox({ path }).close();
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.field, 'uplink.outboxPath');
        assert.ok(!error.message.includes('\n'), 'one line');
        assert.ok(error.message.includes(path), 'names the file');
        return error.message;
      }
      return assert.fail(`${path} was accepted`);
    };
    assert.match(messageOf(notDb), /not an SQLite database; move it aside/);
    assert.match(messageOf(join(dir, 'no', 'such', 'folder', 'outbox.db')), /does not exist; create it/);
    assert.match(messageOf(dir), /is a folder/);
    fs = tmpfsOrSkip(this, 512);
    const onRo = join(fs.dir, 'outbox.db');
    new Outbox({ path: onRo }).close();
    for (const f of [`${onRo}-wal`, `${onRo}-shm`]) if (existsSync(f)) rmSync(f);
    fs.remountReadOnly();
    assert.match(messageOf(onRo), /read-only file system; put uplink.outboxPath on a writable partition/);
  });
});

describe('Gateway on a full disk', function () {
  this.timeout(30_000);
  let fs: Tmpfs | undefined;
  afterEach(() => fs?.unmount());

  it('keeps counting, reports the failures in its health frame, and stores the held reports once there is room', async function () {
    fs = tmpfsOrSkip(this, 1024);
    const clock = new VirtualClock(T0);
    const outbox = new Outbox({ path: join(fs.dir, 'outbox.db') });
    const modem = new FakeLoraModem(clock, new Rng(1), { refusing: () => false, inCoverage: () => true, uplinkLoss: 0, downlinkLoss: 0, ackIntervalMs: Infinity });
    const gateway = new Gateway(
      { clock, modem, outbox, estimator: new RunningSumEstimator({ seats: 50, capacity: 118 }) },
      {
        vehicleId: '661', capacity: 118, seats: 50, levels: { medium: 25, high: 73 }, departureGraceMs: 15_000, liveEnabled: true,
        dailyAirtimeMs: 30_000, serviceHours: 19, dayOf: (t) => Math.floor(t / 86_400_000) * 86_400_000, scheduler: { ...DEFAULT_SCHEDULER_OPTIONS },
      },
    );
    const departures: number[] = [];
    gateway.onDeparture((d) => departures.push(d.report.seq));
    const healthSent: Health[] = [];
    const send = modem.send.bind(modem);
    modem.send = async (fPort, payload, options) => {
      if (fPort === FPORT.health) healthSent.push((decodeUplink(fPort, payload, clock.now()) as { message: Health }).message);
      return send(fPort, payload, options);
    };
    await gateway.start();
    await clock.advance(5 * 60_000);
    assert.equal(healthSent.length, 1, 'the health frame after start');
    const filler = fs.fill();
    gateway.handle({ type: 'trip', at: clock.now(), line: 5, course: 1, destination: 51, stop: 1 });
    for (let stop = 1; stop <= 6; stop++) {
      gateway.handle({ type: 'trip', at: clock.now(), stop });
      gateway.handle({ type: 'door', at: clock.now(), door: 1, open: true });
      gateway.handle({ type: 'passage', at: clock.now() + 1000, door: 1, direction: 'in' });
      await clock.advance(20_000);
      gateway.handle({ type: 'door', at: clock.now(), door: 1, open: false });
      await clock.advance(60_000);
    }
    assert.deepEqual(departures, range(1, 6), 'every departure got its number');
    assert.equal(healthSent.length, 2, 'one health frame at once for the fault, not one per report');
    assert.deepEqual([healthSent[1]!.appendFailures, healthSent[1]!.outboxEpoch], [1, outbox.epoch], 'the operator hears of the first failure within minutes');
    const health = decodeHealth(gateway);
    assert.equal(health.appendFailures, 6);
    assert.equal(health.reportsHeld, 6);
    assert.equal(health.newestSeq, 6);
    assert.equal(health.outboxEpoch, outbox.epoch);
    assert.equal(health.oldestPendingSeq, 1);

    rmSync(filler);
    await clock.advance(OUTBOX_RETRY_MS + 1000);
    assert.equal(outbox.heldCount, 0, 'written again on its own once there is room');
    assert.deepEqual(seqsOf(outbox), range(1, 6));
    const after = decodeHealth(gateway);
    assert.equal(after.reportsHeld, 0);
    assert.equal(after.appendFailures, 6, 'the count stays: the operator sees it happened');
    await gateway.stop();
    outbox.close();
  });
});
