/**
 * What the public may see: the latest anonymised level of each vehicle, from Live frames only, and
 * the scheduled trip and stop it was matched to in the static GTFS (when one is given). Stop
 * reports (exact counts per stop, for planning) never come here as counts: the board takes from
 * them only the trip context (line, IBIS destination, stop number) to tell the direction. A vehicle
 * without a fleet number (not in the fleet inventory) is never published; a level older than
 * `staleMs` is no longer current.
 */
import type { Live, StopReport } from '../../proto/frames.js';
import type { StaticGtfs, TripMatch } from './static-gtfs.js';

export interface VehicleLevel {
  /** Public vehicle id: the fleet number from the fleet inventory. */
  vehicle: string;
  line: number;
  stop: number;
  level: number;
  occupancyTenths: number;
  receivedAt: number;
  /** The scheduled trip and stop, when a static GTFS is loaded and one fits. */
  trip?: TripMatch | undefined;
}

interface TripContext {
  line: number;
  destination: number;
  stop: number;
  departure: number;
}

/** Longest time a tram takes from one stop to the next, to tell whether a report and a live frame belong to one trip. */
const MAX_STOP_TO_STOP_MS = 6 * 60_000;

export class OccupancyBoard {
  private readonly latest = new Map<string, VehicleLevel>();
  private readonly context = new Map<string, TripContext>();
  readonly counters = { unpublished: 0, matched: 0, unmatched: 0 };

  constructor(
    /** The fleet number of a device, undefined when it is not in the inventory. */
    private readonly fleetNumberOf: (devEui: string) => string | undefined,
    private readonly staleMs = 10 * 60_000,
    private readonly gtfs?: StaticGtfs,
  ) {}

  /** A stop report arrived: remember where the vehicle was heading (its IBIS destination). */
  report(devEui: string, report: StopReport): void {
    // Only fleet vehicles: a forged DevEUI must not grow this table.
    if (this.fleetNumberOf(devEui) === undefined) return;
    const known = this.context.get(devEui);
    if (known && known.departure >= report.departure) return;
    this.context.set(devEui, { line: report.line, destination: report.destination, stop: report.stop, departure: report.departure });
  }

  live(devEui: string, live: Live, receivedAt: number): void {
    const previous = this.latest.get(devEui);
    if (previous && previous.receivedAt > receivedAt) return;
    const vehicle = this.fleetNumberOf(devEui);
    if (vehicle === undefined) {
      this.counters.unpublished++;
      return;
    }
    const trip = this.gtfs ? this.matchTrip(devEui, live, receivedAt, previous) : undefined;
    if (this.gtfs) this.counters[trip ? 'matched' : 'unmatched']++;
    this.latest.set(devEui, { vehicle, line: live.line, stop: live.stop, level: live.level, occupancyTenths: live.occupancyTenths, receivedAt, trip });
  }

  /**
   * Direction first from the stop report of the same trip (same line, an earlier stop, recent
   * enough to be on this trip), else from the previous live frame: a higher stop number soon after
   * is the same trip, a lower one the trip back after the terminus.
   */
  private matchTrip(devEui: string, live: Live, at: number, previous: VehicleLevel | undefined): TripMatch | undefined {
    const gtfs = this.gtfs!;
    let direction: 0 | 1 | undefined;
    let prefer: string | undefined;
    const ctx = this.context.get(devEui);
    if (ctx && ctx.line === live.line && ctx.stop <= live.stop && at - ctx.departure <= (live.stop - ctx.stop + 1) * MAX_STOP_TO_STOP_MS) {
      direction = gtfs.directionOf(live.line, ctx.destination);
    }
    const prev = previous?.trip;
    if (previous && prev && previous.line === live.line && at - previous.receivedAt <= 90 * 60_000) {
      if (live.stop > prev.stopIndex && at - previous.receivedAt <= (live.stop - prev.stopIndex + 1) * MAX_STOP_TO_STOP_MS) {
        direction ??= prev.directionId;
        prefer = prev.tripId;
      } else if (live.stop <= prev.stopIndex && prev.directionId !== undefined) {
        direction ??= prev.directionId === 0 ? 1 : 0;
      }
    }
    const m = gtfs.match({ line: live.line, ibisStop: live.stop, at, direction, prefer });
    if (m && m.next) return m;
    // At a terminus the doors close when the tram leaves on its next trip: the same stop is stop 1
    // of a trip the other way, and that is the trip it is on now when the departure fits it better
    // (trams do not leave a terminus early: one scheduled minutes later is not the trip).
    const turned = gtfs.match({ line: live.line, ibisStop: 1, at, direction: m?.directionId === undefined ? undefined : m.directionId === 0 ? 1 : 0 });
    if (turned && turned.delaySeconds >= -90 && (!m || (turned.stopId === m.stopId && Math.abs(turned.delaySeconds) < Math.abs(m.delaySeconds)))) return turned;
    return m;
  }

  /** Current levels, freshest first; stale ones left out. */
  current(now: number): VehicleLevel[] {
    return [...this.latest.values()].filter((v) => now - v.receivedAt <= this.staleMs).sort((a, b) => b.receivedAt - a.receivedAt);
  }
}
