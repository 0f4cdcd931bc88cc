import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseCsv, StaticGtfs } from '../../../backend/publish/static-gtfs.js';
import { zonedTimeToEpoch } from '../../../common/time.js';
import { buildStaticGtfs, gtfsTime, writeStaticGtfs } from '../../../simulator/gtfs/static-gtfs.js';
import { loadLine } from '../../../simulator/world/network-data.js';
import { planTrips } from '../../../simulator/world/service-plan.js';

const LINES = readdirSync('simulator/data/lines').filter((f) => f.endsWith('.yaml')).sort().map((f) => loadLine(join('simulator/data/lines', f)));

describe('static GTFS from the line files', () => {
  let dir: string;
  let gtfs: StaticGtfs;
  const files = buildStaticGtfs(LINES, { startDate: '20261101', endDate: '20261130' });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gtfs-'));
    writeStaticGtfs(dir, files);
    gtfs = StaticGtfs.load(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the files a GTFS reader needs, with the columns GTFS requires', () => {
    const header = (f: string) => parseCsv(files[f]!)[0];
    assert.deepEqual(Object.keys(files).sort(), ['agency.txt', 'calendar.txt', 'ibis_destinations.txt', 'routes.txt', 'stop_times.txt', 'stops.txt', 'trips.txt']);
    for (const c of ['stop_id', 'stop_name', 'stop_lat', 'stop_lon']) assert.ok(header('stops.txt')!.includes(c), c);
    for (const c of ['route_id', 'route_short_name', 'route_type']) assert.ok(header('routes.txt')!.includes(c), c);
    for (const c of ['route_id', 'service_id', 'trip_id', 'direction_id']) assert.ok(header('trips.txt')!.includes(c), c);
    for (const c of ['trip_id', 'arrival_time', 'departure_time', 'stop_id', 'stop_sequence']) assert.ok(header('stop_times.txt')!.includes(c), c);
    // Every stop time names a stop in stops.txt and a trip in trips.txt.
    const stops = new Set(parseCsv(files['stops.txt']!).slice(1).map((r) => r[0]));
    const trips = new Set(parseCsv(files['trips.txt']!).slice(1).map((r) => r[2]));
    for (const [trip, , , stop] of parseCsv(files['stop_times.txt']!).slice(1)) {
      assert.ok(trips.has(trip), trip);
      assert.ok(stops.has(stop), stop);
    }
  });

  it('has the bench\'s trips: as many per line as the service plan, stops in order, times rising', () => {
    let expected = 0;
    for (const line of LINES) expected += planTrips(line, 0, -Infinity, Infinity).length;
    assert.equal(gtfs.tripCount, expected);
    const rows = parseCsv(files['stop_times.txt']!).slice(1);
    const byTrip = new Map<string, string[][]>();
    for (const r of rows) byTrip.set(r[0]!, [...(byTrip.get(r[0]!) ?? []), r]);
    for (const [trip, st] of byTrip) {
      const line = LINES.find((l) => trip.startsWith(`${l.id}-`))!;
      assert.equal(st.length, line.stops.length, trip);
      st.forEach((r, k) => {
        assert.equal(Number(r[4]), k + 1);
        assert.ok(r[2]! >= r[1]!, `${trip}: departure before arrival`);
        if (k > 0) assert.ok(r[1]! >= st[k - 1]![2]!, `${trip}: time goes back`);
      });
    }
  });

  it('lets the backend match a departure to its trip, direction (from the IBIS destination) and stop', () => {
    const line5 = LINES.find((l) => l.line === 5)!;
    assert.equal(gtfs.routeOf(5), 'halle-5');
    assert.equal(gtfs.directionOf(5, line5.directions[0]!.destinationId), 0);
    assert.equal(gtfs.directionOf(5, line5.directions[1]!.destinationId), 1);
    // Departs stop 1 of the 07:30 trip towards Ammendorf two minutes late.
    const m = gtfs.match({ line: 5, ibisStop: 1, at: zonedTimeToEpoch('2026-11-23', '07:32', 'Europe/Berlin'), direction: 0 })!;
    assert.equal(m.tripId, 'halle-5-0-0730');
    assert.equal(m.stopId, 'KROE');
    assert.equal(m.delaySeconds, 120);
    assert.deepEqual([m.startDate, m.startTime], ['20261123', '07:30:00']);
    // Outside the calendar, nothing.
    assert.equal(gtfs.match({ line: 5, ibisStop: 1, at: zonedTimeToEpoch('2026-12-02', '07:32', 'Europe/Berlin'), direction: 0 }), undefined);
    // A trip running past midnight is matched on the service day before.
    const late = gtfs.match({ line: 5, ibisStop: 1, at: zonedTimeToEpoch('2026-11-24', '00:01', 'Europe/Berlin') });
    assert.ok(late, 'a trip after midnight');
    assert.equal(late.startDate, '20261123');
    assert.ok(late.startTime >= '24:00:00');
  });

  it('writes GTFS times past midnight as hours beyond 24', () => {
    assert.equal(gtfsTime(24 * 3600 + 15 * 60), '24:15:00');
    assert.equal(gtfsTime(7 * 3600 + 5), '07:00:05');
  });

  it('reads back any field through CSV quoting (property)', () => {
    const encode = (rows: string[][]) => rows.map((r) => r.map((f) => (/[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(',')).join('\r\n');
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: fc.constantFrom('a', 'ö', ',', '"', '\n', '\r', ' ', '1') }), { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 6 }), (rows) => {
        assert.deepEqual(parseCsv(encode(rows)), rows);
      }),
    );
  });
});
