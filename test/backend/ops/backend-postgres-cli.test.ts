/**
 * `occupancy backend --store postgres://...` as a real process: ChirpStack events on an in-process
 * aedes broker, the backend stopped and started again, and then the history API, the open-data
 * export and the fleet page read over HTTP from what PostgreSQL holds. Pending without a server,
 * unless REQUIRE_POSTGRES=1 (CI).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import pg from 'pg';
import { roundTo, type OpenDataRow } from '../../../backend/publish/open-data.js';
import { FleetInventory } from '../../../contracts/fleet-inventory.js';
import { encodeHealth, encodeStopBatch, FPORT, type HealthReport, type StopReport } from '../../../proto/frames.js';
import { startAedes, type Broker } from '../../helpers/mqtt-broker.js';
import { postgresOrSkip, type TestDatabase } from '../../helpers/postgres.js';

const BIN = resolve('bin/occupancy.mjs');
const A = '70b3d57ed0010295';
const B = '70b3d57ed0010296';
const VEHICLE: Record<string, string> = { [A]: '661', [B]: '662' };
// Monday 5 and Tuesday 6 October 2026 (CEST): a closed month, published since 8 November.
const DAY1 = Date.UTC(2026, 9, 5, 6, 0);
const DAY2 = Date.UTC(2026, 9, 6, 6, 0);

/** The morning's stop reports of one tram on one day: stops 1-4 of line 5 in the 08:00 hour (local). */
function morning(devEui: string, day: number, firstSeq: number): StopReport[] {
  const offset = devEui === B ? 20 * 60_000 : 0;
  return [1, 2, 3, 4].map((stop, i) => ({
    seq: firstSeq + i, departure: day + offset + i * 180_000, stop, line: 5, course: devEui === B ? 12 : 11, destination: 51,
    boardings: 3 + stop, alightings: stop, load: loadOf(devEui, day, stop), flags: 0,
  }));
}
const loadOf = (devEui: string, day: number, stop: number) => 20 + 10 * stop + (devEui === B ? 7 : 0) + (day === DAY2 ? 3 : 0);

const health = (over: Partial<HealthReport>): HealthReport => ({
  uptimeMin: 95, outboxDepth: 0, oldestPendingSeq: 0, sensorFaults: 0, airtimeTodayMs: 8_400, modelVersion: 0, softwareVersion: 100, restarts: 2,
  outboxDropped: 0, liveSkipped: 0, newestSeq: 5, outboxEpoch: 0, appendFailures: 0, reportsHeld: 0, ...over,
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('occupancy backend --store postgres://: a real process, restarted, serving history, open data and the fleet page from PostgreSQL', function () {
  this.timeout(120_000);
  let db: TestDatabase | undefined;
  let broker: Broker | undefined;
  let dir = '';
  let child: ChildProcess | undefined;
  let stderr = '';
  let sql: pg.Client | undefined;

  before(async function () {
    db = await postgresOrSkip(this);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    await sql.query(`CREATE SCHEMA ${db.schema}`);
    broker = await startAedes();
    dir = mkdtempSync(join(tmpdir(), 'backend-pg-cli-'));
    const inventory = new FleetInventory(join(dir, 'fleet.db'));
    for (const [devEui, vehicleId] of Object.entries(VEHICLE)) {
      inventory.record({ vehicleId, type: 'MGT-K1', devEui, joinEui: '70b3d57ed0000000', modemDialect: 'rui3', provisionedAt: '2026-09-01T10:00:00Z' });
    }
    inventory.close();
  });
  after(async () => {
    child?.kill('SIGKILL');
    await sql?.end();
    await broker?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what it received across a restart and publishes it with the right figures', async () => {
    // The test's schema as the search path of every connection the backend opens (store and history).
    const storeUrl = `${db!.url}?options=${encodeURIComponent(`-c search_path=${db!.schema}`)}`;
    const dashboard = await freePort();
    const base = `http://127.0.0.1:${dashboard}`;
    const count = async (table: string) => Number((await sql!.query<{ n: string }>(`SELECT count(*) AS n FROM ${db!.schema}.${table}`)).rows[0]!.n);

    const start = async () => {
      stderr = '';
      // In the test's folder: a SQLite file appearing there would mean the store was not PostgreSQL.
      const c = spawn(process.execPath, [BIN, 'backend', '--broker', broker!.url, '--store', storeUrl, '--inventory', join(dir, 'fleet.db'), '--client-id', 'pg-cli-test',
        '--dashboard', String(dashboard), '--open-data-min-trips', '2'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'error' } });
      c.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child = c;
      for (let i = 0; i < 300; i++) {
        if (c.exitCode !== null) throw new Error(`the backend exited (${c.exitCode}): ${stderr}`);
        const up = await fetch(`${base}/api/fleet.json`).then((r) => r.ok, () => false);
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the backend did not start: ${stderr}`);
    };
    const stop = async () => {
      const c = child!;
      const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
      c.kill('SIGTERM');
      assert.equal(await exited, 0, `a clean stop: ${stderr}`);
      child = undefined;
    };

    const ns = await mqtt.connectAsync(broker!.url, { clientId: 'network-server', protocolVersion: 4 });
    const fCnt: Record<string, number> = { [A]: 0, [B]: 0 };
    const up = (devEui: string, fPort: number, payload: Uint8Array, at: number) =>
      ns.publishAsync(`application/app/device/${devEui}/event/up`, JSON.stringify({
        time: new Date(at).toISOString(), deviceInfo: { devEui, applicationId: 'app' }, fCnt: ++fCnt[devEui]!, fPort, data: Buffer.from(payload).toString('base64'),
      }), { qos: 1 });
    const waitFor = async (table: string, n: number) => {
      for (let i = 0; i < 300 && (await count(table)) < n; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await count(table), n, `${table}: ${stderr}`);
    };

    try {
      // The first run: Monday's mornings, one more stop of 661 later (a cell of one trip), and a health frame of each tram.
      await start();
      const a1 = [...morning(A, DAY1, 1), { seq: 5, departure: DAY1 + 90 * 60_000, stop: 9, line: 5, course: 11, destination: 51, boardings: 2, alightings: 5, load: 33, flags: 0 }];
      await up(A, FPORT.stopBatch, encodeStopBatch(a1, DAY1 + 91 * 60_000), DAY1 + 91 * 60_000);
      await up(B, FPORT.stopBatch, encodeStopBatch(morning(B, DAY1, 1), DAY1 + 40 * 60_000), DAY1 + 40 * 60_000);
      const healthAt = DAY1 + 95 * 60_000;
      await up(A, FPORT.health, encodeHealth(health({ modelVersion: 10200, sensorFaults: 8, newestSeq: 5, outboxDepth: 1, oldestPendingSeq: 5 })), healthAt);
      await up(B, FPORT.health, encodeHealth(health({ modelVersion: 1, newestSeq: 4 })), healthAt + 1000);
      await waitFor('reports', 9);
      await stop();
      assert.equal(await count('gateway_health'), 2, 'the fleet page\'s state is in PostgreSQL after the stop');

      // The second run: Tuesday's mornings only (no health frame: what the fleet page shows of it must come from the store).
      await start();
      await up(A, FPORT.stopBatch, encodeStopBatch(morning(A, DAY2, 6), DAY2 + 15 * 60_000), DAY2 + 15 * 60_000);
      await up(B, FPORT.stopBatch, encodeStopBatch(morning(B, DAY2, 5), DAY2 + 35 * 60_000), DAY2 + 35 * 60_000);
      await waitFor('reports', 17);

      // History API (staff): Monday's load per stop and hour, exact.
      const load = (await (await fetch(`${base}/api/history/load.json?date=2026-10-05&line=5`)).json()) as {
        lines: number[]; cells: Array<{ ibisStop: number; hour: number; dayType: string; trips: number; meanLoad: number; maxLoad: number; destination: number }>;
      };
      assert.deepEqual(load.lines, [5]);
      assert.deepEqual(
        load.cells.map((c) => [c.ibisStop, c.hour, c.dayType, c.destination, c.trips, c.meanLoad, c.maxLoad]),
        [
          ...[1, 2, 3, 4].map((s) => [s, 8, 'Mo-Fr', 51, 2, (loadOf(A, DAY1, s) + loadOf(B, DAY1, s)) / 2, loadOf(B, DAY1, s)]),
          [9, 9, 'Mo-Fr', 51, 1, 33, 33],
        ],
      );
      // One vehicle's Tuesday, received by the second run.
      const vd = (await (await fetch(`${base}/api/history/vehicle-day.json?vehicle=662&date=2026-10-06`)).json()) as { reports: Array<{ seq: number; load: number; stop: number; departure: string }> };
      assert.deepEqual(vd.reports.map((r) => [r.seq, r.stop, r.load, Date.parse(r.departure)]), morning(B, DAY2, 5).map((r) => [r.seq, r.stop, r.load, r.departure]));

      // Open data: October, a closed month: four trips per morning stop (two trams, two days), the lone stop suppressed.
      const od = (await (await fetch(`${base}/open-data/load-2026-10.json`)).json()) as { minTrips: number; rows: OpenDataRow[] };
      assert.equal(od.minTrips, 2);
      const mean = (f: (dev: string, day: number) => number) => [A, B].flatMap((d) => [DAY1, DAY2].map((day) => f(d, day))).reduce((x, y) => x + y, 0) / 4;
      assert.deepEqual(od.rows, [
        ...[1, 2, 3, 4].map((s) => ({
          month: '2026-10', line: 5, route_id: null, direction_id: null, ibis_destination: 51, stop_id: null, stop_name: null, stop_number: s, day_type: 'Mo-Fr', hour: 8,
          suppressed: false, trips: 4, mean_load: roundTo(mean((d, day) => loadOf(d, day, s)), 5), mean_boardings: 3 + s, mean_alightings: s,
        })),
        {
          month: '2026-10', line: 5, route_id: null, direction_id: null, ibis_destination: 51, stop_id: null, stop_name: null, stop_number: 9, day_type: 'Mo-Fr', hour: 9,
          suppressed: true, trips: null, mean_load: null, mean_boardings: null, mean_alightings: null,
        },
      ]);
      const csv = await (await fetch(`${base}/open-data/load-2026-10.csv`)).text();
      assert.equal(csv.trim().split('\r\n').length, 1 + 5, 'header and five rows');
      assert.match(await (await fetch(`${base}/open-data/`)).text(), /2026-10/);

      // The fleet page: Monday's health frames, kept in PostgreSQL across the restart; Tuesday's reports on top.
      const fleet = (await (await fetch(`${base}/api/fleet.json`)).json()) as {
        gateways: Array<{ vehicle: string; devEui: string; healthAt: string | null; lastReport: string | null; sensorFaults: string[] | null; health: { modelVersion: number; outboxDepth: number } | null }>;
      };
      assert.deepEqual(fleet.gateways.map((g) => [g.vehicle, g.devEui, g.healthAt, g.health?.modelVersion, g.health?.outboxDepth, g.sensorFaults, g.lastReport]), [
        ['661', A, new Date(healthAt).toISOString(), 10200, 1, ['Kamera'], new Date(DAY2 + 15 * 60_000).toISOString()],
        ['662', B, new Date(healthAt + 1000).toISOString(), 1, 0, [], new Date(DAY2 + 35 * 60_000).toISOString()],
      ]);
      const page = await (await fetch(`${base}/dashboard/fleet`)).text();
      const row = (devEui: string) => page.slice(page.indexOf(`data-dev-eui="${devEui}"`), page.indexOf('</tr>', page.indexOf(`data-dev-eui="${devEui}"`)));
      assert.match(row(A), /<td>1\.2\.0<\/td>/);
      assert.match(row(A), /Kamera/);
      assert.match(row(B), /<td>keines \(Laufsumme\)<\/td>/);
      await stop();
      assert.deepEqual(readdirSync(dir).sort(), ['fleet.db'], 'no SQLite store beside it: everything went to PostgreSQL');
    } finally {
      await ns.endAsync();
    }
  });
});
