/**
 * Publishing figures for `npm run bench`: matching a live level to its scheduled trip in a static
 * GTFS of all eleven lines, encoding the GTFS-RT feed for the whole fleet, and the monthly open-data
 * export over a fleet-month of stop reports in SQLite. Measurements, never pass/fail.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { vehiclePositionsFeed } from '../backend/publish/gtfs-rt.js';
import type { VehicleLevel } from '../backend/publish/occupancy-board.js';
import { exportMonth, openDataCsv } from '../backend/publish/open-data.js';
import { StaticGtfs } from '../backend/publish/static-gtfs.js';
import { SqliteReportStore } from '../backend/store/report-store.js';
import { zonedTimeToEpoch } from '../common/time.js';
import { buildStaticGtfs, writeStaticGtfs } from '../simulator/gtfs/static-gtfs.js';
import { loadLine } from '../simulator/world/network-data.js';
import type { StopReport } from '../proto/frames.js';

export interface PublishingFigures {
  trips: number;
  matchesPerSecond: number;
  matched: number;
  feedVehicles: number;
  feedBytes: number;
  feedsPerSecond: number;
  monthReports: number;
  exportSeconds: number;
  exportRows: number;
  published: number;
}

/** `reportsOfDay`: one day of one fleet's stop reports (e.g. the demo day's), repeated over the month for `fleets` fleets. */
export async function measurePublishing(reportsOfDay: ReadonlyArray<{ vehicleId: string; report: StopReport }>, fleets: number): Promise<PublishingFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-publishing-'));
  try {
    const lines = readdirSync('simulator/data/lines').filter((f) => f.endsWith('.yaml')).map((f) => loadLine(join('simulator/data/lines', f)));
    writeStaticGtfs(join(dir, 'gtfs'), buildStaticGtfs(lines, { startDate: '20261101', endDate: '20261130' }));
    const gtfs = StaticGtfs.load(join(dir, 'gtfs'));

    // Live levels at random stops and times of the day on every line.
    const queries = Array.from({ length: 20_000 }, (_, i) => {
      const line = lines[i % lines.length]!;
      const minute = 300 + ((i * 7919) % (18 * 60));
      return { line: line.line, ibisStop: 1 + (i % line.stops.length), at: zonedTimeToEpoch('2026-11-23', `${Math.floor(minute / 60)}:${String(minute % 60).padStart(2, '0')}`, 'Europe/Berlin'), direction: (i % 2) as 0 | 1 };
    });
    let matched = 0;
    let t = performance.now();
    for (const q of queries) if (gtfs.match(q)) matched++;
    const matchesPerSecond = queries.length / ((performance.now() - t) / 1000);

    const levels: VehicleLevel[] = queries.slice(0, 120).map((q, i) => ({ vehicle: String(601 + i), line: q.line, stop: q.ibisStop, level: 2, occupancyTenths: 4, receivedAt: q.at, trip: gtfs.match(q) }));
    const feedBytes = vehiclePositionsFeed(levels, queries[0]!.at).length;
    t = performance.now();
    const feeds = 500;
    for (let i = 0; i < feeds; i++) vehiclePositionsFeed(levels, queries[0]!.at);
    const feedsPerSecond = feeds / ((performance.now() - t) / 1000);

    // A fleet-month: the day's reports on every day of November, `fleets` times over (other DevEUIs).
    const storePath = join(dir, 'reports.db');
    new SqliteReportStore(storePath).close();
    const db = new Database(storePath);
    const insert = db.prepare(
      `INSERT INTO reports (dev_eui, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const dayStart = zonedTimeToEpoch('2026-11-23', '00:00', 'Europe/Berlin');
    let monthReports = 0;
    db.transaction(() => {
      for (let f = 0; f < fleets; f++) {
        for (let d = 1; d <= 30; d++) {
          const shift = zonedTimeToEpoch(`2026-11-${String(d).padStart(2, '0')}`, '00:00', 'Europe/Berlin') - dayStart;
          for (const { vehicleId, report: r } of reportsOfDay) {
            insert.run(`${f}-${vehicleId}`, r.seq + d * 10_000, r.departure + shift, r.stop, r.line, r.course, r.destination, r.boardings, r.alightings, r.load, r.flags, r.departure + shift + 60_000);
            monthReports++;
          }
        }
      }
    })();
    db.close();
    const store = new SqliteReportStore(storePath);
    const history = store.history();
    t = performance.now();
    const result = await exportMonth(history, '2026-11', Date.UTC(2027, 0, 1), { timeZone: 'Europe/Berlin', minTrips: 5, gtfs });
    if (!result.ok) throw new Error(result.message);
    openDataCsv(result.rows);
    const exportSeconds = (performance.now() - t) / 1000;
    await history.close();
    store.close();
    return {
      trips: gtfs.tripCount, matchesPerSecond, matched, feedVehicles: levels.length, feedBytes, feedsPerSecond,
      monthReports, exportSeconds, exportRows: result.rows.length, published: result.rows.filter((r) => !r.suppressed).length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
