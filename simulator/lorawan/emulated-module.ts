/**
 * The dialect-free core of an emulated LoRaWAN module: the serial line it reads commands from, the
 * MAC (MacDevice: real OTAA and encrypted frames), the duty-cycle and payload rules it refuses by,
 * transmissions on the emulated Air with their receive windows, and the faults a bench or test can
 * cause (a module that hangs, a power cycle, line noise, a port that comes back on a new stream).
 * Each dialect (emulated-rui3.ts, emulated-rn2483.ts) only parses its commands and prints its
 * strings. Must never answer for a dialect here, nor let a callback of an earlier power life write.
 */
import type { Duplex } from 'node:stream';
import { ReadlineParser } from '@serialport/parser-readline';
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/random.js';
import { uplinkTimeOnAirMs } from '../../firmware-bindings/lora/airtime.js';
import { JOIN_ACCEPT_DELAY2_MS, RECEIVE_DELAY2_MS, maxPayload } from '../../contracts/lora-region-eu868.js';
import type { Air, DownlinkFrame } from './air.js';
import { MacDevice } from './mac-device.js';

export interface EmulatedModemOptions {
  /** DevEUI the module was made with (readable before configuration, as on a real module). */
  factoryDevEui: string;
  firmwareVersion?: string;
}

/**
 * How a module hangs: 'wedged' ignores every command but its reset command (a stuck MAC whose UART
 * still takes a reset); 'dead' ignores everything until powerCycle() (only a reset line or the
 * power brings it back).
 */
export type HangMode = 'wedged' | 'dead';

/** Why the module refuses an uplink, before anything goes on air. */
export type TxRefusal = 'not-joined' | 'payload-too-long' | 'busy' | 'duty-cycle';

export interface ReceivedFrame {
  fPort: number;
  payload: Buffer;
  window: DownlinkFrame['window'];
  dr: number;
}

export interface TxOutcome {
  /** A confirmed uplink's ACK came back. */
  acked: boolean;
  /** Application downlinks heard in the receive windows. */
  downlinks: ReceivedFrame[];
}

/** Time after the RX2 window opens that the module gives up listening (preamble timeout). */
export const RX_WINDOW_GRACE_MS = 300;

export abstract class EmulatedModule {
  readonly mac: MacDevice;
  /** The radio is in use (a transmission and its receive windows) until then. */
  protected busyUntil = 0;
  private hung: HangMode | undefined;
  /** Bumped by each power cycle: timers of an earlier life find it changed and do nothing. */
  private life = 0;
  private stream!: Duplex;

  constructor(
    stream: Duplex,
    protected readonly clock: Clock,
    private readonly air: Air,
    rng: Rng,
    protected readonly options: EmulatedModemOptions,
  ) {
    this.mac = new MacDevice(rng);
    this.mac.devEui = options.factoryDevEui.toLowerCase();
    this.attach(stream);
  }

  /** The serial port came back (re-enumerated, re-opened): the same module on a new stream. */
  attach(stream: Duplex): void {
    this.stream = stream;
    const parser = stream.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
    parser.on('data', (line: string) => this.onLine(line.replace(/\r$/, '').trim()));
  }

  /** Stop answering (see HangMode). */
  hang(mode: HangMode = 'dead'): void {
    this.hung = mode;
  }

  get isHung(): boolean {
    return this.hung !== undefined;
  }

  /** Power cycle or reset: the MAC session and anything under way are lost (keys are not). */
  powerCycle(): void {
    this.hung = undefined;
    this.life++;
    this.mac.session = undefined;
    this.busyUntil = 0;
    this.onPowerCycle();
  }

  /** Bytes on the line as the module's UART puts them, answered or not: noise, half lines. */
  writeRaw(text: string): void {
    if (!this.stream.destroyed) this.stream.write(text, 'latin1');
  }

  protected write(text: string): void {
    if (!this.hung && !this.stream.destroyed) this.stream.write(text, 'latin1');
  }

  protected writeLine(text: string): void {
    this.write(`${text}\r\n`);
  }

  /** A timer of this power life: after a power cycle it does nothing. */
  protected later(ms: number, fn: () => void): void {
    const life = this.life;
    this.clock.setTimeout(() => {
      if (life === this.life) fn();
    }, ms);
  }

  protected abstract onPowerCycle(): void;
  protected abstract isResetCommand(line: string): boolean;
  protected abstract onCommand(line: string): void;

  private onLine(line: string): void {
    if (line.length === 0 || this.hung === 'dead') return;
    if (this.hung === 'wedged') {
      if (!this.isResetCommand(line)) return;
      this.hung = undefined;
    }
    this.onCommand(line);
  }

  /** One JoinRequest now on `frequencyHz`; `onDone` says, after the join-accept windows, whether it was accepted. */
  protected transmitJoinRequest(frequencyHz: number, onDone: (accepted: boolean) => void): void {
    const now = this.clock.now();
    const life = this.life;
    const { phy, devNonce } = this.mac.buildJoinRequest();
    const toaMs = uplinkTimeOnAirMs(phy.length - 13, this.mac.dr);
    this.mac.recordTransmission(now, frequencyHz, toaMs);
    let accepted = false;
    this.air.transmit(
      { devEui: this.mac.devEui, phy, frequencyHz, dr: this.mac.dr, start: now, toaMs },
      {
        onDownlink: (frame: DownlinkFrame) => {
          if (!accepted && life === this.life && this.mac.acceptJoin(frame.phy, devNonce)) accepted = true;
        },
      },
    );
    this.later(toaMs + JOIN_ACCEPT_DELAY2_MS + RX_WINDOW_GRACE_MS, () => onDone(accepted));
  }

  /**
   * An uplink as the module checks and sends it: refused (nothing on air) when not joined, over the
   * data rate's payload limit, while the radio is busy, or inside the duty-cycle off time; otherwise
   * on air now, with `onDone` once the receive windows have closed.
   */
  protected transmitUplink(fPort: number, payload: Buffer, confirmed: boolean, onDone: (outcome: TxOutcome) => void): TxRefusal | undefined {
    if (!this.mac.joined) return 'not-joined';
    if (payload.length > maxPayload(this.mac.dr)) return 'payload-too-long';
    const now = this.clock.now();
    if (now < this.busyUntil) return 'busy';
    const { frequencyHz, waitMs } = this.mac.nextTransmission(now);
    if (waitMs > 0) return 'duty-cycle';
    const phy = this.mac.buildUplink(fPort, payload, confirmed);
    const toaMs = this.mac.uplinkToaMs(payload.length);
    this.mac.recordTransmission(now, frequencyHz, toaMs);
    const done = now + toaMs + RECEIVE_DELAY2_MS + RX_WINDOW_GRACE_MS;
    this.busyUntil = done;
    const outcome: TxOutcome = { acked: false, downlinks: [] };
    this.air.transmit(
      { devEui: this.mac.devEui, phy, frequencyHz, dr: this.mac.dr, start: now, toaMs },
      {
        onDownlink: (frame) => {
          const downlink = this.mac.parseDownlink(frame.phy);
          if (!downlink) return;
          if (downlink.ack) outcome.acked = true;
          if (downlink.fPort !== undefined && downlink.fPort > 0 && downlink.payload.length > 0) {
            outcome.downlinks.push({ fPort: downlink.fPort, payload: downlink.payload, window: frame.window, dr: frame.dr });
          }
        },
      },
    );
    this.later(done - now, () => onDone(outcome));
    return undefined;
  }
}
