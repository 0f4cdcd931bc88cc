/**
 * Wires the publishing side of `occupancy backend`: the fleet numbers (from the fleet inventory),
 * the static GTFS, the board, the fleet's health (kept in the report store), the history over the
 * report store (SQLite or PostgreSQL, whichever the backend runs on), and the two HTTP servers
 * (public; staff). Takes what the ingest hands on; owns no MQTT and writes no reports.
 */
import type { Server } from 'node:http';
import type { Clock } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import type { Health, Live, StopReport } from '../../proto/frames.js';
import { FleetHealth } from './fleet-health.js';
import type { ReportHistory } from './history.js';
import type { ReportStore } from '../store/report-store.js';
import { startPublicServer } from './http-server.js';
import { OccupancyBoard } from './occupancy-board.js';
import { StaticGtfs } from './static-gtfs.js';

const log = moduleLogger('backend.publish');

export interface FleetEntry {
  devEui: string;
  vehicleId: string;
}

/**
 * Fleet numbers by DevEUI. A DevEUI it does not know makes it read the inventory again (at most
 * every `reloadMs`, 100 ms: reading a fleet's inventory takes well under a millisecond, so even a
 * stream of forged DevEUIs costs little), so gateways provisioned while the backend runs are published
 * without a restart, from their first frames on.
 */
export class FleetDirectory {
  private byDevEui = new Map<string, string>();
  private byVehicle = new Map<string, string>();
  private loadedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly entries: () => readonly FleetEntry[],
    private readonly clock: Clock,
    private readonly reloadMs = 100,
  ) {
    this.reload();
  }

  private reload(): void {
    const list = this.entries();
    this.byDevEui = new Map(list.map((e) => [e.devEui.toLowerCase(), e.vehicleId]));
    this.byVehicle = new Map(list.map((e) => [e.vehicleId, e.devEui.toLowerCase()]));
    this.loadedAt = this.clock.now();
  }

  fleetNumberOf(devEui: string): string | undefined {
    const key = devEui.toLowerCase();
    if (!this.byDevEui.has(key) && this.clock.now() - this.loadedAt >= this.reloadMs) this.reload();
    return this.byDevEui.get(key);
  }

  devEuiOf(vehicle: string): string | undefined {
    if (!this.byVehicle.has(vehicle) && this.clock.now() - this.loadedAt >= this.reloadMs) this.reload();
    return this.byVehicle.get(vehicle);
  }
}

export interface PublishingOptions {
  /** Public server: board, GTFS-RT, open data. */
  http?: number | undefined;
  /** Staff server: everything public plus heatmap, fleet health and history API. */
  dashboard?: number | undefined;
  host: string;
  gtfsDir?: string | undefined;
  /** The backend's report store: history, heatmap and open data read it, the fleet's health is kept in it. */
  store?: ReportStore | undefined;
  /** Devices the trust layer admits: the fleet health restored from the store is of these only. */
  accepts?: ((devEui: string) => boolean) | undefined;
  fleet: () => readonly FleetEntry[];
  /** The feeds' "now" follows the newest event (bench feeds, replays of past days). */
  replay?: boolean | undefined;
  minTrips?: number | undefined;
}

export class Publishing {
  readonly board: OccupancyBoard;
  readonly fleetHealth: FleetHealth;
  readonly gtfs: StaticGtfs | undefined;
  readonly servers: Server[] = [];
  private history: ReportHistory | undefined;
  private readonly fleet: FleetDirectory;
  private readonly feedClock: Clock;
  private newestEvent: number | undefined;

  private constructor(options: PublishingOptions, private readonly wallClock: Clock) {
    const clock = wallClock;
    this.gtfs = options.gtfsDir ? StaticGtfs.load(options.gtfsDir) : undefined;
    if (this.gtfs) log.info({ trips: this.gtfs.tripCount }, 'static GTFS loaded');
    const fleet = new FleetDirectory(options.fleet, clock);
    this.fleet = fleet;
    this.board = new OccupancyBoard((d) => fleet.fleetNumberOf(d), 10 * 60_000, this.gtfs);
    const store = options.store;
    this.fleetHealth = new FleetHealth((d) => fleet.fleetNumberOf(d), undefined, store ? { store, clock, ...(options.accepts ? { accepts: options.accepts } : {}) } : undefined);
    this.history = store?.history();
    this.feedClock = options.replay
      ? { now: () => this.newestEvent ?? clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h), sleep: (ms, signal) => clock.sleep(ms, signal) }
      : clock;
  }

  static async start(options: PublishingOptions, clock: Clock): Promise<Publishing> {
    const p = new Publishing(options, clock);
    try {
      await p.fleetHealth.restore();
      const common = { gtfs: p.gtfs, history: p.history, fleet: p.fleetHealth, devEuiOf: (v: string) => p.fleet.devEuiOf(v), minTrips: options.minTrips, wallClock: p.wallClock };
      if (options.http !== undefined) p.servers.push(await startPublicServer(p.board, p.feedClock, options.http, options.host, { ...common, internal: false }));
      if (options.dashboard !== undefined) p.servers.push(await startPublicServer(p.board, p.feedClock, options.dashboard, options.host, { ...common, internal: true }));
    } catch (error) {
      await p.close();
      throw error;
    }
    return p;
  }

  private saw(at: number): void {
    if (this.newestEvent === undefined || at > this.newestEvent) this.newestEvent = at;
  }

  report(devEui: string, report: StopReport, receivedAt: number): void {
    this.saw(receivedAt);
    this.board.report(devEui, report);
    this.fleetHealth.report(devEui, receivedAt);
  }

  live(devEui: string, live: Live, receivedAt: number): void {
    this.saw(receivedAt);
    this.board.live(devEui, live, receivedAt);
    this.fleetHealth.live(devEui, receivedAt);
  }

  health(devEui: string, health: Health, receivedAt: number): void {
    this.saw(receivedAt);
    this.fleetHealth.health(devEui, health, receivedAt);
  }

  /** Closes the servers, writes the fleet's health, and lets go of the history (the store itself stays open: its owner closes it after). */
  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      // A client's keep-alive connection must not hold the stop.
      s.closeAllConnections();
    })));
    await this.fleetHealth.close();
    const history = this.history;
    this.history = undefined;
    await history?.close();
  }
}
