/**
 * The radio between emulated modems and the network-server emulator: it carries real PHYPayloads,
 * applies coverage gaps and packet loss as the scenario says, delivers downlinks in the receive
 * windows, and keeps an independent tally of airtime and duty-cycle violations per device (what a
 * regulator's spectrum analyser would see, whatever the module believed).
 */
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/random.js';
import { offTimeMs } from '../../firmware-bindings/lora/airtime.js';
import { subBandOf } from '../../contracts/lora-region-eu868.js';

export interface UplinkFrame {
  devEui: string;
  phy: Buffer;
  frequencyHz: number;
  dr: number;
  /** Start of transmission (ms). */
  start: number;
  toaMs: number;
}

export interface Reception extends UplinkFrame {
  rssi: number;
  snr: number;
  gatewayId: string;
}

export interface DownlinkFrame {
  phy: Buffer;
  /** When the downlink starts at the device (ms). */
  at: number;
  window: 'RX1' | 'RX2';
  dr: number;
}

export interface DownlinkReceiver {
  onDownlink(frame: DownlinkFrame): void;
}

export interface NetworkServerPort {
  receiveUplink(reception: Reception): DownlinkFrame | undefined;
}

export interface RadioConditions {
  /** Whether a device is in coverage at time t (a tunnel, a gap in the network). */
  inCoverage(devEui: string, t: number): boolean;
  uplinkLoss: number;
  downlinkLoss: number;
}

export interface DeviceAirStats {
  uplinks: number;
  lostUplinks: number;
  airtimeMs: number;
  downlinks: number;
  lostDownlinks: number;
  dutyCycleViolations: number;
  /** Airtime per service day, keyed by the day's start (ms). */
  airtimeByDay: Map<number, number>;
  /** Downlinks heard per day, keyed by the day's start (ms). */
  downlinksByDay: Map<number, number>;
}

export class Air {
  private server: NetworkServerPort | undefined;
  private readonly stats = new Map<string, DeviceAirStats>();
  private readonly bandFreeAt = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly conditions: RadioConditions,
    /** Maps a time to the start of its service day, for per-day airtime. */
    private readonly dayOf: (t: number) => number = (t) => Math.floor(t / 86_400_000) * 86_400_000,
  ) {}

  attach(server: NetworkServerPort): void {
    this.server = server;
  }

  statsOf(devEui: string): DeviceAirStats {
    let s = this.stats.get(devEui);
    if (!s) {
      s = { uplinks: 0, lostUplinks: 0, airtimeMs: 0, downlinks: 0, lostDownlinks: 0, dutyCycleViolations: 0, airtimeByDay: new Map(), downlinksByDay: new Map() };
      this.stats.set(devEui, s);
    }
    return s;
  }

  allStats(): ReadonlyMap<string, DeviceAirStats> {
    return this.stats;
  }

  /** A device starts transmitting now; the frame reaches the network when its airtime is over. */
  transmit(frame: UplinkFrame, receiver: DownlinkReceiver): void {
    const s = this.statsOf(frame.devEui);
    s.uplinks++;
    s.airtimeMs += frame.toaMs;
    const day = this.dayOf(frame.start);
    s.airtimeByDay.set(day, (s.airtimeByDay.get(day) ?? 0) + frame.toaMs);
    const band = subBandOf(frame.frequencyHz);
    const key = `${frame.devEui}/${band.name}`;
    if (frame.start < (this.bandFreeAt.get(key) ?? 0)) s.dutyCycleViolations++;
    this.bandFreeAt.set(key, frame.start + frame.toaMs + offTimeMs(frame.toaMs, band.dutyCycle));

    const end = frame.start + frame.toaMs;
    this.clock.setTimeout(() => {
      if (!this.conditions.inCoverage(frame.devEui, end) || this.rng.chance(this.conditions.uplinkLoss) || !this.server) {
        s.lostUplinks++;
        return;
      }
      const rssi = Math.round(this.rng.uniform(-115, -70));
      const snr = Math.round(this.rng.uniform(-5, 10) * 10) / 10;
      const downlink = this.server.receiveUplink({ ...frame, rssi, snr, gatewayId: 'b827ebfffe000001' });
      if (!downlink) return;
      this.clock.setTimeout(() => {
        if (!this.conditions.inCoverage(frame.devEui, downlink.at) || this.rng.chance(this.conditions.downlinkLoss)) {
          s.lostDownlinks++;
          return;
        }
        s.downlinks++;
        const downDay = this.dayOf(downlink.at);
        s.downlinksByDay.set(downDay, (s.downlinksByDay.get(downDay) ?? 0) + 1);
        receiver.onDownlink(downlink);
      }, Math.max(0, downlink.at - this.clock.now()));
    }, frame.toaMs);
  }
}
