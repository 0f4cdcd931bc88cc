/**
 * A bench day fed into the backend's publishing side, as the backend would see it over MQTT: the
 * network server's events go through the real event JSON and UplinkProcessor into a SQLite report
 * store and the Publishing consumers (board matched against a static GTFS built from the same line
 * files, fleet health). For the publishing tests; does nothing on import.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../common/clock.js';
import { parseChirpStackUplink } from '../../backend/ingest/network-events.js';
import { UplinkProcessor } from '../../backend/ingest/uplink-processor.js';
import { FleetHealth } from '../../backend/publish/fleet-health.js';
import type { ReportHistory } from '../../backend/publish/history.js';
import { OccupancyBoard, type VehicleLevel } from '../../backend/publish/occupancy-board.js';
import { StaticGtfs } from '../../backend/publish/static-gtfs.js';
import { SqliteReportStore, type StoredReport } from '../../backend/store/report-store.js';
import type { Health, Live } from '../../proto/frames.js';
import { runScenario, type BenchReport } from '../../simulator/day-run/run-scenario.js';
import { buildStaticGtfs, writeStaticGtfs } from '../../simulator/gtfs/static-gtfs.js';
import { chirpStackUplinkEvent } from '../../simulator/lorawan/uplink-event.js';
import { loadScenario } from '../../simulator/scenario.js';
import { loadLine } from '../../simulator/world/network-data.js';

export interface PublishedDay {
  dir: string;
  gtfsDir: string;
  storePath: string;
  gtfs: StaticGtfs;
  board: OccupancyBoard;
  fleetHealth: FleetHealth;
  /** History over the day's SQLite store (paged). */
  history: ReportHistory;
  /** Every report the store kept, contested ones too, in the order they were stored (to copy into other stores). */
  stored: StoredReport[];
  report: BenchReport;
  fleet: Map<string, string>;
  /** Each live frame the board took, with what it published for the vehicle right after. */
  lives: Array<{ devEui: string; vehicle: string; live: Live; receivedAt: number; published: VehicleLevel | undefined }>;
  /** Every health frame, as the backend took it. */
  healths: Array<{ devEui: string; health: Health; receivedAt: number }>;
  /** The last instant of the run (for "now"). */
  end: number;
  /** Shared: closing is left to the end of the process. */
  close(): void;
  dispose(): void;
}

let shared: Promise<PublishedDay> | undefined;

/**
 * The bench morning of test/fixtures/scenarios/short.yaml on line 5, run once per test process and
 * shared by the publishing tests (read it, do not change it); removed when the process exits.
 */
export function publishedDay(): Promise<PublishedDay> {
  if (!shared) {
    shared = runPublishedDay('test/fixtures/scenarios/short.yaml', ['simulator/data/lines/halle-5.yaml']);
    void shared.then((day) => process.once('exit', () => day.dispose()));
  }
  return shared;
}

async function runPublishedDay(scenarioPath: string, lineFiles: string[]): Promise<PublishedDay> {
  const dir = mkdtempSync(join(tmpdir(), 'published-day-'));
  const gtfsDir = join(dir, 'gtfs');
  writeStaticGtfs(gtfsDir, buildStaticGtfs(lineFiles.map((f) => loadLine(f)), { startDate: '20261101', endDate: '20261231' }));
  const gtfs = StaticGtfs.load(gtfsDir);
  const storePath = join(dir, 'reports.db');
  const store = new SqliteReportStore(storePath);
  const fleet = new Map<string, string>();
  const board = new OccupancyBoard((d) => fleet.get(d), 10 * 60_000, gtfs);
  const fleetHealth = new FleetHealth((d) => fleet.get(d));
  const lives: PublishedDay['lives'] = [];
  const healths: PublishedDay['healths'] = [];
  const clock = new VirtualClock(0);
  let end = 0;
  const processor = new UplinkProcessor(
    clock,
    {
      report: (devEui, r, at) => {
        board.report(devEui, r);
        fleetHealth.report(devEui, at);
      },
      live: (devEui, live, at) => {
        board.live(devEui, live, at);
        fleetHealth.live(devEui, at);
        const vehicle = fleet.get(devEui)!;
        lives.push({ devEui, vehicle, live, receivedAt: at, published: board.current(at).find((v) => v.vehicle === vehicle) });
      },
      health: (devEui, h, at) => {
        fleetHealth.health(devEui, h, at);
        healths.push({ devEui, health: h, receivedAt: at });
      },
    },
    undefined,
    { store },
  );
  const report = await runScenario(loadScenario(scenarioPath, ['gateway.estimator=running-sum']), {
    keepDetails: true,
    onVehicle: (v) => fleet.set(v.devEui, v.vehicleId),
    mirror: {
      publishUplink: (u) => {
        end = Math.max(end, u.time);
        processor.handle(parseChirpStackUplink(JSON.stringify(chirpStackUplinkEvent(u)), 0));
      },
      publishDownlinkSent: () => undefined,
      publishJoin: () => undefined,
    },
  });
  processor.close();
  const history = store.history();
  const stored = store.since(0, Number.MAX_SAFE_INTEGER);
  return {
    dir, gtfsDir, storePath, gtfs, board, fleetHealth, history, stored, report, fleet, lives, healths, end,
    close: () => undefined,
    dispose: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
