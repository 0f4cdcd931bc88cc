import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { VirtualClock } from '../../../common/clock.js';
import { localClock } from '../../../common/time.js';
import { aggregateLoad, serviceTime, type HistoryReport, type ReportHistory } from '../../../backend/publish/history.js';
import { startPublicServer } from '../../../backend/publish/http-server.js';
import { exportMonth, OPEN_DATA_COLUMNS, openDataCsv, type OpenDataRow } from '../../../backend/publish/open-data.js';
import { parseCsv } from '../../../backend/publish/static-gtfs.js';
import { publishedDay, type PublishedDay } from '../../helpers/published-day.js';

const TZ = 'Europe/Berlin';
/** Well after the bench day's month (November 2026) is over and published (a week after its end). */
const DECEMBER = Date.UTC(2026, 11, 10, 12);

function memoryHistory(reports: HistoryReport[]): ReportHistory {
  return {
    between: (from, to, line, receivedBefore) =>
      reports
        .filter((r) => r.departure >= from && r.departure < to && (line === undefined || r.line === line) && (receivedBefore === undefined || r.receivedAt < receivedBefore))
        .sort((a, b) => a.departure - b.departure),
    ofDevice: (dev, from, to) => reports.filter((r) => r.devEui === dev && r.departure >= from && r.departure < to),
    span: () => (reports.length ? { first: Math.min(...reports.map((r) => r.departure)), last: Math.max(...reports.map((r) => r.departure)) } : undefined),
    close: () => undefined,
  };
}

describe('history and open data from a bench morning on line 5', function () {
  this.timeout(60_000);
  let day: PublishedDay;
  let publicServer: Server;
  let staffServer: Server;
  let publicBase: string;
  let staffBase: string;

  before(async () => {
    day = await publishedDay();
    const clock = new VirtualClock(DECEMBER);
    const devEuiOf = (v: string) => [...day.fleet].find(([, n]) => n === v)?.[0];
    // One morning of three trams gives one or two trips per stop and hour: k = 2 here (the property
    // test below covers any k; the backend refuses less than 2).
    const common = { gtfs: day.gtfs, history: day.history, fleet: day.fleetHealth, devEuiOf, minTrips: 2 };
    publicServer = await startPublicServer(day.board, clock, 0, '127.0.0.1', common);
    staffServer = await startPublicServer(day.board, clock, 0, '127.0.0.1', { ...common, internal: true });
    publicBase = `http://127.0.0.1:${(publicServer.address() as AddressInfo).port}`;
    staffBase = `http://127.0.0.1:${(staffServer.address() as AddressInfo).port}`;
  });
  after(() => {
    publicServer?.close();
    staffServer?.close();
    day?.close();
  });

  it('keeps every stored report in exactly one cell, on the true direction and stop', () => {
    const stored = [...day.history.between(0, Number.MAX_SAFE_INTEGER)];
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
    const early = exportMonth(day.history, '2026-11', Date.UTC(2026, 11, 7, 12), { timeZone: TZ, minTrips: 2 });
    assert.ok(!early.ok && early.status === 404 && /published from 2026-12-08/.test(early.message));
    assert.equal((await fetch(`${publicBase}/open-data/load-2026-13.json`)).status, 400);
    assert.match(await (await fetch(`${publicBase}/open-data/`)).text(), /2026-11/);
  });

  it('never publishes a cell with fewer than k trips, and counts every report once (property)', () => {
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
    fc.assert(
      fc.property(fc.array(report, { maxLength: 300 }), fc.integer({ min: 2, max: 8 }), (reports, k) => {
        const result = exportMonth(memoryHistory(reports), '2026-11', DECEMBER, { timeZone: TZ, minTrips: k });
        assert.ok(result.ok);
        // Only what arrived by a week after the month's end (service days end at 03:00).
        const cutoff = Date.UTC(2026, 11, 8, 2);
        const inMonth = reports.filter((r) => serviceTime(r.departure, TZ).date.startsWith('2026-11') && r.receivedAt < cutoff).length;
        assert.equal(aggregateLoad(memoryHistory(reports).between(0, Infinity), TZ).reduce((n, c) => n + c.trips, 0), reports.length);
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
        const again = exportMonth(memoryHistory([...reports, late]), '2026-11', DECEMBER, { timeZone: TZ, minTrips: k });
        assert.deepEqual(again, result);
      }),
      { numRuns: 60 },
    );
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
    const stored = [...day.history.between(0, Number.MAX_SAFE_INTEGER)].filter((r) => r.devEui === dev661);
    assert.equal(vd.reports.length, stored.length);
    assert.ok(vd.reports.every((r, i) => i === 0 || r.departure >= vd.reports[i - 1]!.departure));
    assert.equal(localClock(Date.parse(vd.reports[0]!.departure), TZ).date, '20261123');
    assert.equal((await fetch(`${staffBase}/api/history/vehicle-day.json?vehicle=999&date=2026-11-23`)).status, 404);
    assert.equal((await fetch(`${staffBase}/api/history/load.json?date=23.11.2026`)).status, 400);
    const otherDay = (await (await fetch(`${staffBase}/api/history/load.json?date=2026-11-22&line=5`)).json()) as { cells: unknown[] };
    assert.equal(otherDay.cells.length, 0);
  });
});
