/**
 * What the operator's staff see of each gateway: when it was last heard, what each kind of frame
 * last said, and the latest Health frame as it came (every field, so fields added to the schema
 * later, calibration among them, show up without a change here). In memory: it fills again from the
 * next health frames after a restart (every health interval, and once after each gateway start).
 */
import type { Health } from '../../proto/frames.js';

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

  constructor(
    private readonly fleetNumberOf: (devEui: string) => string | undefined,
    /** Bounds the table: the least recently heard gateway leaves first. */
    private readonly maxGateways = 2000,
  ) {}

  private entry(devEui: string, at: number): GatewayHealth {
    let g = this.gateways.get(devEui);
    if (!g) {
      if (this.gateways.size >= this.maxGateways) {
        const oldest = [...this.gateways.values()].reduce((a, b) => (a.lastSeen <= b.lastSeen ? a : b));
        this.gateways.delete(oldest.devEui);
      }
      g = { devEui, vehicle: undefined, lastSeen: at, lastLive: undefined, lastReport: undefined, healthAt: undefined, health: undefined, frames: 0 };
      this.gateways.set(devEui, g);
    }
    g.vehicle = this.fleetNumberOf(devEui);
    g.lastSeen = Math.max(g.lastSeen, at);
    g.frames++;
    return g;
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
