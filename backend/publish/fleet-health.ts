/**
 * What the operator's staff see of each gateway: when it was last heard, what each kind of frame
 * last said, and the latest Health frame as it came (every field, so fields added to the schema
 * later, calibration among them, show up without a change here). Kept in the report store when one
 * is given (one row per device, the gateway_health table of SQLite or PostgreSQL), written within
 * `saveDelayMs` of a change and at close, and read back at start: a restarted backend shows what it
 * showed before, for the devices the trust layer still admits.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import type { Health } from '../../proto/frames.js';
import type { ReportStore, StoredGatewayHealth } from '../store/report-store.js';

const log = moduleLogger('backend.fleet');

/** Where the fleet page's state is kept: the report store's gateway_health table. */
export type FleetHealthStore = Pick<ReportStore, 'saveGatewayHealth' | 'removeGatewayHealth' | 'gatewayHealth'>;

export interface FleetHealthPersistence {
  store: FleetHealthStore;
  clock: Clock;
  /** A change is written within this time (default 1 s). */
  saveDelayMs?: number;
  /** Devices the trust layer admits: rows of others (removed from the inventory since) are not restored, and deleted. */
  accepts?: (devEui: string) => boolean;
}

export interface GatewayHealth {
  devEui: string;
  /** Fleet number, undefined when the device is not in the fleet inventory. */
  vehicle: string | undefined;
  lastSeen: number;
  lastLive: number | undefined;
  lastReport: number | undefined;
  healthAt: number | undefined;
  health: Health | undefined;
  frames: number;
}

export const SENSOR_FAULT_NAMES: ReadonlyArray<[bit: number, name: string]> = [
  [1, 'Türplatine'],
  [2, 'Lichtschranke blockiert'],
  [4, 'Türkontakt'],
  [8, 'Kamera'],
  [16, 'Fahrzeugbus (IBIS)'],
  [32, 'Funkscanner'],
];

export function sensorFaultNames(bits: number): string[] {
  return SENSOR_FAULT_NAMES.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name);
}

export class FleetHealth {
  private readonly gateways = new Map<string, GatewayHealth>();
  /** Changed since the last write, and evicted since then (rows to delete). */
  private readonly dirty = new Set<string>();
  private readonly evicted = new Set<string>();
  private timer: TimerHandle | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly fleetNumberOf: (devEui: string) => string | undefined,
    /** Bounds the table (and the stored rows): the least recently heard gateway leaves first. */
    private readonly maxGateways = 2000,
    private readonly persistence?: FleetHealthPersistence,
  ) {}

  /** Reads back what the store kept (at start, before frames arrive); returns how many gateways it restored. */
  async restore(): Promise<number> {
    const p = this.persistence;
    if (!p) return 0;
    const rows = await p.store.gatewayHealth();
    const accepted = rows.filter((r) => p.accepts?.(r.devEui) ?? true).sort((a, b) => b.lastSeen - a.lastSeen);
    const kept = accepted.slice(0, this.maxGateways);
    const keep = new Set(kept.map((r) => r.devEui));
    const dropped = rows.filter((r) => !keep.has(r.devEui)).map((r) => r.devEui);
    for (const r of kept) {
      if (this.gateways.has(r.devEui)) continue;
      this.gateways.set(r.devEui, { ...r, vehicle: this.fleetNumberOf(r.devEui) });
    }
    if (dropped.length) await p.store.removeGatewayHealth(dropped);
    log.info({ restored: kept.length, dropped: dropped.length }, 'fleet health restored from the store');
    return kept.length;
  }

  private entry(devEui: string, at: number): GatewayHealth {
    let g = this.gateways.get(devEui);
    if (!g) {
      if (this.gateways.size >= this.maxGateways) {
        const oldest = [...this.gateways.values()].reduce((a, b) => (a.lastSeen <= b.lastSeen ? a : b));
        this.gateways.delete(oldest.devEui);
        this.dirty.delete(oldest.devEui);
        this.evicted.add(oldest.devEui);
      }
      g = { devEui, vehicle: undefined, lastSeen: at, lastLive: undefined, lastReport: undefined, healthAt: undefined, health: undefined, frames: 0 };
      this.gateways.set(devEui, g);
      this.evicted.delete(devEui);
    }
    g.vehicle = this.fleetNumberOf(devEui);
    g.lastSeen = Math.max(g.lastSeen, at);
    g.frames++;
    this.changed(devEui);
    return g;
  }

  private changed(devEui: string): void {
    const p = this.persistence;
    if (!p) return;
    this.dirty.add(devEui);
    this.timer ??= p.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, p.saveDelayMs ?? 1000);
  }

  /** Writes what changed (one statement or transaction); a failed write is tried again with the next change. */
  flush(): Promise<void> {
    const p = this.persistence;
    if (!p) return Promise.resolve();
    this.writing = this.writing.then(async () => {
      const rows: StoredGatewayHealth[] = [];
      for (const devEui of this.dirty) {
        const { vehicle: _, ...g } = this.gateways.get(devEui)!;
        rows.push({ ...g, health: g.health ? { ...g.health } : undefined });
      }
      const removed = [...this.evicted];
      this.dirty.clear();
      this.evicted.clear();
      try {
        if (removed.length) await p.store.removeGatewayHealth(removed);
        if (rows.length) await p.store.saveGatewayHealth(rows);
      } catch (error) {
        for (const r of rows) if (this.gateways.has(r.devEui)) this.dirty.add(r.devEui);
        for (const d of removed) if (!this.gateways.has(d)) this.evicted.add(d);
        log.error({ error: (error as Error).message, gateways: rows.length }, 'could not keep the fleet health');
      }
    });
    return this.writing;
  }

  /** Writes what is pending and stops the timer (before the store closes). */
  async close(): Promise<void> {
    if (this.persistence) this.persistence.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  live(devEui: string, at: number): void {
    const g = this.entry(devEui, at);
    g.lastLive = Math.max(g.lastLive ?? at, at);
  }

  report(devEui: string, at: number): void {
    const g = this.entry(devEui, at);
    g.lastReport = Math.max(g.lastReport ?? at, at);
  }

  health(devEui: string, health: Health, at: number): void {
    const g = this.entry(devEui, at);
    if (g.healthAt === undefined || at >= g.healthAt) {
      g.healthAt = at;
      g.health = { ...health };
    }
  }

  /** Every gateway heard, by fleet number (unknown devices last). */
  list(): GatewayHealth[] {
    return [...this.gateways.values()].sort(
      (a, b) => (a.vehicle === undefined ? 1 : 0) - (b.vehicle === undefined ? 1 : 0) || (a.vehicle ?? a.devEui).localeCompare(b.vehicle ?? b.devEui, 'en', { numeric: true }),
    );
  }

  get(devEui: string): GatewayHealth | undefined {
    return this.gateways.get(devEui);
  }
}
