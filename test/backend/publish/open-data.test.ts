import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { VirtualClock } from '../../../common/clock.js';
import { localClock } from '../../../common/time.js';
import { aggregateLoad, aggregateLoadFrom, serviceTime, type HistoryReport, type ReportHistory } from '../../../backend/publish/history.js';
import { startPublicServer } from '../../../backend/publish/http-server.js';
import { exportMonth, OPEN_DATA_COLUMNS, openDataCsv, type OpenDataRow } from '../../../backend/publish/open-data.js';
import { parseCsv } from '../../../backend/publish/static-gtfs.js';
import { collect } from '../../../backend/store/report-history.js';
import { MemoryReportStore, type ReportStore, type StoredReport } from '../../../backend/store/report-store.js';
import { publishedDay, type PublishedDay } from '../../helpers/published-day.js';
import { STORE_BACKINGS, type Backing } from '../../helpers/store-backings.js';

const TZ = 'Europe/Berlin';
/** Well after the bench day's month (November 2026) is over and published (a week after its end). */
const DECEMBER = Date.UTC(2026, 11, 10, 12);

/** Reports as a store holds them: each in a batch of its own, with its arrival time (seqs made unique per device). */
async function storeOf(reports: readonly HistoryReport[]): Promise<{ store: MemoryReportStore; history: ReportHistory }> {
  const store = new MemoryReportStore();
  for (const [i, r] of reports.entries()) {
    const { devEui, receivedAt, ...report } = r;
    store.addBatch(devEui, 0, [{ ...report, seq: i + 1 }], receivedAt);
  }
  return { store, history: store.history({ pageSize: 7 }) };
}

/** The reports of one store copied into another, batch by batch as they arrived (same device, epoch and arrival). */
async function copyInto(store: ReportStore, reports: readonly StoredReport[]): Promise<void> {
  for (let i = 0; i < reports.length; ) {
    const first = reports[i]!;
    let j = i;
    while (j < reports.length && reports[j]!.devEui === first.devEui && reports[j]!.epoch === first.epoch && reports[j]!.receivedAt === first.receivedAt) j++;
    const outcomes = await store.addBatch(first.devEui, first.epoch, reports.slice(i, j), first.receivedAt);
    assert.ok(outcomes.every((o) => o === 'new'));
    i = j;
  }
}

// The same suite on every store the backend runs on: the bench morning's reports, stored by the
// backend's processor in SQLite, copied into a fresh store of each kind, read page by page.
for (const backing of STORE_BACKINGS.filter((b) => b.name !== 'memory')) describe(`history and open data from a bench morning on line 5: ${backing.name}`, function () {
  this.timeout(60_000);
  let day: PublishedDay;
  let b: Backing | undefined;
  let store: ReportStore | undefined;
  let history: ReportHistory;
  let publicServer: Server;
  let staffServer: Server;
  let publicBase: string;
  let staffBase: string;

  before(async function () {
    day = await publishedDay();
    b = await backing.make(this);
    store = await b.open();
    await copyInto(store, day.stored);
    // Pages far smaller than the morning: every read crosses page ends.
    history = store.history({ pageSize: 25 });
    const clock = new VirtualClock(DECEMBER);
    const devEuiOf = (v: string) => [...day.fleet].find(([, n]) => n === v)?.[0];
    // One morning of three trams gives one or two trips per stop and hour: k = 2 here (the property
    // test below covers any k; the backend refuses less than 2).
    const common = { gtfs: day.gtfs, history, fleet: day.fleetHealth, devEuiOf, minTrips: 2 };
    publicServer = await startPublicServer(day.board, clock, 0, '127.0.0.1', common);
    staffServer = await startPublicServer(day.board, clock, 0, '127.0.0.1', { ...common, internal: true });
    publicBase = `http://127.0.0.1:${(publicServer.address() as AddressInfo).port}`;
    staffBase = `http://127.0.0.1:${(staffServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    publicServer?.close();
    staffServer?.close();
    await history?.close();
    await store?.close();
    await b?.cleanup();
    day?.close();
  });

  it('reads every report the backend stored, in departure order, the same as the backend\'s own SQLite store', async () => {
    const stored = await collect(history.between(0, Number.MAX_SAFE_INTEGER));
    assert.equal(stored.length, day.report.delivery.delivered);
    assert.ok(stored.length > 100, `${stored.length} reports: several pages`);
    assert.deepEqual(stored, await collect(day.history.between(0, Number.MAX_SAFE_INTEGER)));
    assert.ok(stored.every((r, i) => i === 0 || r.departure >= stored[i - 1]!.departure));
  });

  it('keeps every stored report in exactly one cell, on the true direction and stop', async () => {
    const stored = await collect(history.between(0, Number.MAX_SAFE_INTEGER));
    assert.equal(stored.length, day.report.delivery.delivered);
    const cells = aggregateLoad(stored, TZ, day.gtfs);
    assert.equal(cells.reduce((n, c) => n + c.trips, 0), stored.length);
    // Independently: the bench's truth gives direction and stop id of each delivered report.
    const truthCells = new Map<string, number[]>();
    for (const { vehicleId, report } of day.report.details!.reports) {
      const dev = [...day.fleet].find(([, v]) => v === vehicleId)![0];
      if (!stored.some((r) => r.devEui === dev && r.seq === report.seq)) continue;
      const t = day.report.details!.truth.find((x) => x.vehicleId === vehicleId && Math.abs(x.doorsClosed - report.departure) <= 2000)!;
      // At a terminus the stop report still carries the arriving trip's destination while the truth
      // already names the departing one: termini are left out of this comparison.
      if (t.terminus || t.stopId === 'KROE' || t.stopId === 'AMMD') continue;
      const key = `${t.direction}/${t.stopId}/${serviceTime(report.departure, TZ).hour}`;
      truthCells.set(key, [...(truthCells.get(key) ?? []), report.load]);
    }
    let compared = 0;
    for (const [key, loads] of truthCells) {
      const [dir, stopId, hour] = key.split('/');
      const cell = cells.find((c) => String(c.direction) === dir && c.stopId === stopId && String(c.hour) === hour);
      assert.ok(cell, `no cell for ${key}`);
      assert.equal(cell.trips, loads.length, key);
      assert.ok(Math.abs(cell.meanLoad - loads.reduce((a, b) => a + b, 0) / loads.length) < 1e-9, key);
      compared++;
    }
    assert.ok(compared > 40, `${compared} cells compared`);
  });

  it('exports a closed month as CSV and JSON with at least k trips per published cell, rounded, nothing that names a vehicle', async () => {
    const json = (await (await fetch(`${publicBase}/open-data/load-2026-11.json`)).json()) as { rows: OpenDataRow[]; minTrips: number };
    assert.equal(json.minTrips, 2);
    const shown = json.rows.filter((r) => !r.suppressed);
    const hidden = json.rows.filter((r) => r.suppressed);
    assert.ok(shown.length > 10 && hidden.length > 0, `${shown.length} shown, ${hidden.length} suppressed`);
    for (const r of shown) {
      assert.ok(r.trips! >= 2);
      assert.equal(r.mean_load! % 5, 0);
      assert.ok(Number.isInteger(r.mean_boardings));
      assert.equal(r.route_id, 'halle-5');
      assert.ok(r.stop_id && r.stop_name && (r.direction_id === 0 || r.direction_id === 1));
    }
    for (const r of hidden) assert.deepEqual([r.trips, r.mean_load, r.mean_boardings, r.mean_alightings], [null, null, null, null]);
    const csvRes = await fetch(`${publicBase}/open-data/load-2026-11.csv`);
    assert.match(csvRes.headers.get('content-type')!, /^text\/csv/);
    const csv = await csvRes.text();
    const [header, ...rows] = parseCsv(csv);
    assert.deepEqual(header, OPEN_DATA_COLUMNS);
    assert.equal(rows.length, json.rows.length);
    for (const dev of day.fleet.keys()) assert.ok(!csv.includes(dev) && !JSON.stringify(json).includes(dev));
    for (const vehicle of day.fleet.values()) assert.ok(!header!.some((h) => /vehicle|course|seq|dev/.test(h)) && !csv.includes(`,${vehicle},`));
    // The month still running (or less than a week over), and a thing that is not a month, are refused.
    assert.equal((await fetch(`${publicBase}/open-data/load-2026-12.csv`)).status, 404);
    const early = await exportMonth(history, '2026-11', Date.UTC(2026, 11, 7, 12), { timeZone: TZ, minTrips: 2 });
    assert.ok(!early.ok && early.status === 404 && /published from 2026-12-08/.test(early.message));
    assert.equal((await fetch(`${publicBase}/open-data/load-2026-13.json`)).status, 400);
    assert.match(await (await fetch(`${publicBase}/open-data/`)).text(), /2026-11/);
  });

  it('answers the history API on the staff server only: load per line, stop and hour; one vehicle\'s day', async () => {
    for (const path of ['/api/history/load.json?date=2026-11-23&line=5', '/api/history/vehicle-day.json?vehicle=661&date=2026-11-23', '/dashboard/load', '/dashboard/fleet', '/api/fleet.json']) {
      assert.equal((await fetch(`${publicBase}${path}`)).status, 404, `${path} must not be public`);
    }
    const load = (await (await fetch(`${staffBase}/api/history/load.json?date=2026-11-23&line=5`)).json()) as { lines: number[]; cells: Array<{ trips: number; hour: number; stopId: string }> };
    assert.deepEqual(load.lines, [5]);
    assert.equal(load.cells.reduce((n, c) => n + c.trips, 0), day.report.delivery.delivered);
    assert.ok(load.cells.every((c) => c.hour >= 6 && c.hour <= 10 && typeof c.stopId === 'string'));
    const dev661 = [...day.fleet].find(([, v]) => v === '661')![0];
    const vd = (await (await fetch(`${staffBase}/api/history/vehicle-day.json?vehicle=661&date=2026-11-23`)).json()) as { reports: Array<{ seq: number; departure: string; load: number; stopId: string | null }> };
    const stored = (await collect(history.between(0, Number.MAX_SAFE_INTEGER))).filter((r) => r.devEui === dev661);
    assert.ok(stored.length > 10);
    assert.deepEqual(vd.reports.map((r) => [r.seq, Date.parse(r.departure), r.load]), stored.map((r) => [r.seq, r.departure, r.load]));
    assert.ok(vd.reports.every((r, i) => i === 0 || r.departure >= vd.reports[i - 1]!.departure));
    assert.equal(localClock(Date.parse(vd.reports[0]!.departure), TZ).date, '20261123');
    assert.equal((await fetch(`${staffBase}/api/history/vehicle-day.json?vehicle=999&date=2026-11-23`)).status, 404);
    assert.equal((await fetch(`${staffBase}/api/history/load.json?date=23.11.2026`)).status, 400);
    const otherDay = (await (await fetch(`${staffBase}/api/history/load.json?date=2026-11-22&line=5`)).json()) as { cells: unknown[] };
    assert.equal(otherDay.cells.length, 0);
  });
});

describe('open data from any reports (property, on the memory store)', function () {
  this.timeout(60_000);

  it('never publishes a cell with fewer than k trips, and counts every report once (property)', async () => {
    const t0 = Date.UTC(2026, 10, 2, 5);
    const report = fc.record({
      devEui: fc.constantFrom('a1', 'a2', 'a3'),
      seq: fc.nat(),
      departure: fc.integer({ min: t0, max: t0 + 20 * 86_400_000 }),
      stop: fc.integer({ min: 1, max: 4 }),
      line: fc.constantFrom(5, 9),
      course: fc.constant(1),
      destination: fc.constantFrom(51, 52),
      boardings: fc.integer({ min: 0, max: 40 }),
      alightings: fc.integer({ min: 0, max: 40 }),
      load: fc.integer({ min: 0, max: 200 }),
      flags: fc.constant(0),
      receivedAt: fc.integer({ min: t0, max: t0 + 50 * 86_400_000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(report, { maxLength: 300 }), fc.integer({ min: 2, max: 8 }), async (reports, k) => {
        const { history } = await storeOf(reports);
        const result = await exportMonth(history, '2026-11', DECEMBER, { timeZone: TZ, minTrips: k });
        assert.ok(result.ok);
        // Only what arrived by a week after the month's end (service days end at 03:00).
        const cutoff = Date.UTC(2026, 11, 8, 2);
        const inMonth = reports.filter((r) => serviceTime(r.departure, TZ).date.startsWith('2026-11') && r.receivedAt < cutoff).length;
        assert.equal((await aggregateLoadFrom(history.between(0, Infinity), TZ)).reduce((n, c) => n + c.trips, 0), reports.length);
        assert.deepEqual(await aggregateLoadFrom(history.between(0, Infinity), TZ), aggregateLoad(reports, TZ), 'the same cells from the store, page by page, as from the reports at once');
        let published = 0;
        for (const r of result.rows) {
          if (r.suppressed) assert.equal(r.trips, null);
          else {
            assert.ok(r.trips! >= k);
            assert.equal(r.mean_load! % 5, 0);
            published += r.trips!;
          }
        }
        assert.ok(published <= inMonth);
        assert.doesNotThrow(() => openDataCsv(result.rows));
        // A report that arrives after the cutoff changes nothing: a published month stays as it was.
        const late = { ...reports[0]!, seq: 1e9, departure: Date.UTC(2026, 10, 15, 8), receivedAt: Date.UTC(2026, 11, 9) } as HistoryReport;
        const again = await exportMonth((await storeOf([...reports, late])).history, '2026-11', DECEMBER, { timeZone: TZ, minTrips: k });
        assert.deepEqual(again, result);
      }),
      { numRuns: 60 },
    );
  });
});
