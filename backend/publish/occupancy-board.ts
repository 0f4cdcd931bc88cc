/**
 * What the public may see: the latest anonymised level of each vehicle, from Live frames only.
 * Stop reports (exact counts per stop, for planning) never come here: they stay in the operator's
 * store. A level older than `staleMs` is no longer published as current.
 */
import type { Live } from '../../proto/frames.js';

export interface VehicleLevel {
  /** Public vehicle id: the fleet number where known, else the device's name. */
  vehicle: string;
  line: number;
  stop: number;
  level: number;
  occupancyTenths: number;
  receivedAt: number;
}

export class OccupancyBoard {
  private readonly latest = new Map<string, VehicleLevel>();

  constructor(
    private readonly vehicleOf: (devEui: string) => string,
    private readonly staleMs = 10 * 60_000,
  ) {}

  live(devEui: string, live: Live, receivedAt: number): void {
    const previous = this.latest.get(devEui);
    if (previous && previous.receivedAt > receivedAt) return;
    this.latest.set(devEui, {
      vehicle: this.vehicleOf(devEui),
      line: live.line,
      stop: live.stop,
      level: live.level,
      occupancyTenths: live.occupancyTenths,
      receivedAt,
    });
  }

  /** Current levels, freshest first; stale ones left out. */
  current(now: number): VehicleLevel[] {
    return [...this.latest.values()].filter((v) => now - v.receivedAt <= this.staleMs).sort((a, b) => b.receivedAt - a.receivedAt);
  }
}
