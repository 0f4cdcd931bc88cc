/**
 * Firmware emulation of a RAK3172 with RUI3: reads AT lines from its end of a byte stream and
 * answers byte for byte as the module does (value line `AT+XXX=v`, then a status line), joins and
 * transmits through the emulated Air with a real LoRaWAN MAC, and prints +EVT: lines. Refuses what
 * the module refuses: sends before joining, payloads over the data rate's limit, a second send
 * while one is on air, and sends inside the duty-cycle off time.
 */
import type { Duplex } from 'node:stream';
import { ReadlineParser } from '@serialport/parser-readline';
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/random.js';
import { JOIN_ACCEPT_DELAY2_MS, RECEIVE_DELAY2_MS, maxPayload } from '../../firmware-bindings/lora/region-eu868.js';
import type { Air, DownlinkFrame } from './air.js';
import { MacDevice } from './mac-device.js';
import { uplinkTimeOnAirMs } from '../../firmware-bindings/lora/airtime.js';

export interface EmulatedModemOptions {
  /** DevEUI the module was made with (readable before configuration, as on a real module). */
  factoryDevEui: string;
  firmwareVersion?: string;
}

type Reply = { values?: string[]; status: string };

/** Time after the RX2 window opens that the module gives up listening (preamble timeout). */
const RX_WINDOW_GRACE_MS = 300;

export class EmulatedRui3 {
  readonly mac: MacDevice;
  private busyUntil = 0;
  private confirmed = false;
  private joining = false;
  private nwm = 1;
  private band = 4;
  private njm = 1;
  private mute = false;
  readonly log: string[] = [];

  constructor(
    private readonly stream: Duplex,
    private readonly clock: Clock,
    private readonly air: Air,
    rng: Rng,
    private readonly options: EmulatedModemOptions,
  ) {
    this.mac = new MacDevice(rng);
    this.mac.devEui = options.factoryDevEui.toLowerCase();
    const parser = stream.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
    parser.on('data', (line: string) => this.onLine(line.replace(/\r$/, '')));
  }

  /** Stop answering (a hung module) until reset() or powerCycle(). */
  hang(): void {
    this.mute = true;
  }

  /** Power cycle: the MAC session is lost (RUI3 keeps keys in flash, not the session). */
  powerCycle(): void {
    this.mute = false;
    this.mac.session = undefined;
    this.busyUntil = 0;
    this.joining = false;
  }

  private write(text: string): void {
    if (!this.mute && !this.stream.destroyed) this.stream.write(text, 'latin1');
  }

  private event(text: string): void {
    this.write(`${text}\r\n`);
  }

  private onLine(raw: string): void {
    const line = raw.trim();
    if (this.mute || line.length === 0) return;
    const reply = this.execute(line);
    for (const v of reply.values ?? []) this.write(`${v}\r\n`);
    this.write(`\r\n${reply.status}\r\n`);
  }

  private execute(line: string): Reply {
    if (line === 'AT') return { status: 'OK' };
    if (line === 'ATZ') {
      this.powerCycle();
      return { status: 'OK' };
    }
    const m = /^AT\+([A-Z0-9]+)(=(.*))?$/.exec(line);
    if (!m) return { status: 'AT_ERROR' };
    const name = m[1]!;
    const arg = m[3];
    const query = arg === '?';
    const value = (v: string | number): Reply => ({ values: [`AT+${name}=${v}`], status: 'OK' });
    switch (name) {
      case 'VER':
        return query ? value(this.options.firmwareVersion ?? '4.1.1_RAK3172-E') : { status: 'AT_PARAM_ERROR' };
      case 'NWM':
        return query ? value(this.nwm) : this.setInt(arg, 0, 1, (v) => (this.nwm = v));
      case 'BAND':
        return query ? value(this.band) : this.setInt(arg, 0, 12, (v) => (this.band = v));
      case 'NJM':
        return query ? value(this.njm) : this.setInt(arg, 0, 1, (v) => (this.njm = v));
      case 'CLASS':
        return query ? value('A') : arg === 'A' ? { status: 'OK' } : { status: 'AT_PARAM_ERROR' };
      case 'CFM':
        return query ? value(this.confirmed ? 1 : 0) : this.setInt(arg, 0, 1, (v) => (this.confirmed = v === 1));
      case 'ADR':
        return query ? value(this.mac.adr ? 1 : 0) : this.setInt(arg, 0, 1, (v) => (this.mac.adr = v === 1));
      case 'DR':
        return query ? value(this.mac.dr) : this.setInt(arg, 0, 5, (v) => (this.mac.dr = v));
      case 'NJS':
        return query ? value(this.mac.joined ? 1 : 0) : { status: 'AT_PARAM_ERROR' };
      case 'DEVEUI':
        return query ? value(this.mac.devEui.toUpperCase()) : this.setHex(arg, 8, (v) => (this.mac.devEui = v));
      case 'APPEUI':
        return query ? value(this.mac.joinEui.toUpperCase()) : this.setHex(arg, 8, (v) => (this.mac.joinEui = v));
      case 'APPKEY':
        // A real module never reads the key back.
        return query ? { status: 'AT_ERROR' } : this.setHex(arg, 16, (v) => (this.mac.appKey = v));
      case 'JOIN':
        return this.join(arg);
      case 'SEND':
        return this.send(arg);
      default:
        return { status: 'AT_COMMAND_NOT_FOUND' };
    }
  }

  private setInt(arg: string | undefined, min: number, max: number, set: (v: number) => void): Reply {
    const v = Number(arg);
    if (arg === undefined || !/^\d+$/.test(arg) || v < min || v > max) return { status: 'AT_PARAM_ERROR' };
    set(v);
    return { status: 'OK' };
  }

  private setHex(arg: string | undefined, bytes: number, set: (v: string) => void): Reply {
    if (!arg || !new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`).test(arg)) return { status: 'AT_PARAM_ERROR' };
    set(arg.toLowerCase());
    return { status: 'OK' };
  }

  private join(arg: string | undefined): Reply {
    const parts = (arg ?? '1:0:10:8').split(':').map(Number);
    if (parts.some((p) => !Number.isInteger(p)) || parts[0] !== 1) return { status: 'AT_PARAM_ERROR' };
    if (!this.mac.appKey || !this.mac.joinEui) return { status: 'AT_ERROR' };
    if (this.joining || this.clock.now() < this.busyUntil) return { status: 'AT_BUSY_ERROR' };
    const intervalMs = (parts[2] ?? 10) * 1000;
    const attempts = Math.max(1, parts[3] ?? 8);
    this.joining = true;
    this.mac.session = undefined;
    this.clock.setTimeout(() => this.joinAttempt(1, attempts, intervalMs), 0);
    return { status: 'OK' };
  }

  private joinAttempt(attempt: number, attempts: number, intervalMs: number): void {
    if (!this.joining) return;
    const now = this.clock.now();
    const { frequencyHz, waitMs } = this.mac.nextTransmission(now);
    if (waitMs > 0) {
      this.clock.setTimeout(() => this.joinAttempt(attempt, attempts, intervalMs), waitMs);
      return;
    }
    const { phy, devNonce } = this.mac.buildJoinRequest();
    const toaMs = uplinkTimeOnAirMs(phy.length - 13, this.mac.dr);
    this.mac.recordTransmission(now, frequencyHz, toaMs);
    let accepted = false;
    this.air.transmit(
      { devEui: this.mac.devEui, phy, frequencyHz, dr: this.mac.dr, start: now, toaMs },
      {
        onDownlink: (frame: DownlinkFrame) => {
          if (!accepted && this.joining && this.mac.acceptJoin(frame.phy, devNonce)) accepted = true;
        },
      },
    );
    this.clock.setTimeout(() => {
      if (!this.joining) return;
      if (accepted) {
        this.joining = false;
        this.event('+EVT:JOINED');
      } else if (attempt < attempts) {
        this.clock.setTimeout(() => this.joinAttempt(attempt + 1, attempts, intervalMs), intervalMs);
      } else {
        this.joining = false;
        this.event('+EVT:JOIN_FAILED_RX_TIMEOUT');
      }
    }, toaMs + JOIN_ACCEPT_DELAY2_MS + RX_WINDOW_GRACE_MS);
  }

  private send(arg: string | undefined): Reply {
    const m = /^(\d{1,3}):([0-9A-Fa-f]*)$/.exec(arg ?? '');
    if (!m) return { status: 'AT_PARAM_ERROR' };
    const fPort = Number(m[1]);
    const hex = m[2]!;
    if (fPort < 1 || fPort > 223 || hex.length % 2 !== 0) return { status: 'AT_PARAM_ERROR' };
    if (!this.mac.joined) return { status: 'AT_NO_NETWORK_JOINED' };
    const payload = Buffer.from(hex, 'hex');
    if (payload.length > maxPayload(this.mac.dr)) return { status: 'AT_PARAM_ERROR' };
    const now = this.clock.now();
    if (now < this.busyUntil) return { status: 'AT_BUSY_ERROR' };
    const { frequencyHz, waitMs } = this.mac.nextTransmission(now);
    if (waitMs > 0) return { status: 'AT_BUSY_ERROR' };
    const confirmed = this.confirmed;
    const phy = this.mac.buildUplink(fPort, payload, confirmed);
    const toaMs = this.mac.uplinkToaMs(payload.length);
    this.mac.recordTransmission(now, frequencyHz, toaMs);
    const done = now + toaMs + RECEIVE_DELAY2_MS + RX_WINDOW_GRACE_MS;
    this.busyUntil = done;
    let acked = false;
    const received: Array<{ fPort: number; payload: Buffer; window: string; dr: number }> = [];
    this.air.transmit(
      { devEui: this.mac.devEui, phy, frequencyHz, dr: this.mac.dr, start: now, toaMs },
      {
        onDownlink: (frame) => {
          const downlink = this.mac.parseDownlink(frame.phy);
          if (!downlink) return;
          if (downlink.ack) acked = true;
          if (downlink.fPort !== undefined && downlink.fPort > 0 && downlink.payload.length > 0) {
            received.push({ fPort: downlink.fPort, payload: downlink.payload, window: frame.window, dr: frame.dr });
          }
        },
      },
    );
    this.clock.setTimeout(() => {
      for (const r of received) {
        const rssi = -60 - (r.payload.length % 40);
        this.event(`+EVT:RX_${r.window === 'RX1' ? 1 : 2}:${rssi}:8:UNICAST:${r.fPort}:${r.payload.toString('hex').toUpperCase()}`);
      }
      if (confirmed) this.event(acked ? '+EVT:SEND_CONFIRMED_OK' : '+EVT:SEND_CONFIRMED_FAILED');
      else this.event('+EVT:TX_DONE');
    }, done - now);
    return { status: 'OK' };
  }
}
