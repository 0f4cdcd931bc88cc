/**
 * Frames what a Firmata board sends (board → host) and lets through only whole, well-formed
 * messages: DIGITAL_MESSAGE, ANALOG_MESSAGE, REPORT_VERSION, and the sysex replies a door board
 * gives (firmware, capabilities, analog mapping, pin state, string). It sits between the byte
 * stream and firmata.js, whose own parser indexes its pin table with whatever bytes arrive and
 * throws on some malformed replies (a pin-state reply for a pin it does not know, a firmware reply
 * too short to hold a version): line noise must never reach it. Everything dropped is counted by
 * reason; the filter resynchronises on the next command byte and never throws.
 *
 * Must never: interpret pins as doors (that is the door board's job), or hold more than one sysex.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { moduleLogger } from '../../common/log.js';
import { CAPABILITY_PIN_END, FIRMATA, SYSEX } from './firmata-protocol.js';

const log = moduleLogger('door-board.framing');

/** Longer than any reply of a 128-pin board (capabilities: at most about 13 bytes a pin). */
const MAX_SYSEX = 2048;
const MAX_PINS = 128;

export type FirmataDropReason =
  /** Data bytes with no command byte before them. */
  | 'strayData'
  /** A command byte a board never sends (or a command a board sends cut short by another). */
  | 'unexpectedCommand'
  | 'truncated'
  | 'overlongSysex'
  /** A sysex reply a door board does not give (I2C, serial, stepper…). */
  | 'unknownSysex'
  /** A known reply whose content does not fit its form. */
  | 'malformed'
  /** A pin-state reply nobody asked for: it would overwrite firmata.js's idea of that pin's mode. */
  | 'unsolicited';

export interface FirmataFrameCounters {
  messages: number;
  dropped: Record<FirmataDropReason, number>;
}

export class FirmataFrameFilter extends Transform {
  private current: number[] = [];
  /** Bytes still expected for a 3-byte message; -1 inside a sysex; 0 between messages. */
  private expect = 0;
  private inStray = false;
  private overlong = false;
  /** Pins of the board, from the first capability reply let through (firmata.js keeps that table). */
  private pinCount: number | undefined;
  private readonly warned = new Set<FirmataDropReason>();
  /** Pin-state queries sent and not yet answered, per pin. */
  private readonly pinStateAsked = new Map<number, number>();
  readonly counters: FirmataFrameCounters = {
    messages: 0,
    dropped: { strayData: 0, unexpectedCommand: 0, truncated: 0, overlongSysex: 0, unknownSysex: 0, malformed: 0, unsolicited: 0 },
  };

  constructor() {
    super({ readableObjectMode: false });
  }

  /** The host has asked for a pin's state: one reply for that pin may pass. */
  expectPinState(pin: number): void {
    this.pinStateAsked.set(pin, (this.pinStateAsked.get(pin) ?? 0) + 1);
  }

  get droppedTotal(): number {
    return Object.values(this.counters.dropped).reduce((a, b) => a + b, 0);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (const byte of chunk) this.byte(byte);
    done();
  }

  private byte(byte: number): void {
    if (byte >= 0x80) {
      this.inStray = false;
      if (this.expect === -1 && byte === FIRMATA.END_SYSEX) {
        this.current.push(byte);
        this.endSysex();
        return;
      }
      if (this.expect !== 0 && !this.overlong) this.discard('truncated');
      this.start(byte);
      return;
    }
    if (this.expect === 0) {
      // One count per run of stray bytes: a burst of noise is one event.
      if (!this.inStray) this.discard('strayData');
      this.inStray = true;
      return;
    }
    if (this.expect === -1) {
      if (this.overlong) return;
      if (this.current.length >= MAX_SYSEX) {
        this.overlong = true;
        this.discard('overlongSysex');
        return;
      }
      this.current.push(byte);
      return;
    }
    this.current.push(byte);
    if (--this.expect === 0) this.emitMessage();
  }

  private start(byte: number): void {
    this.current = [byte];
    this.overlong = false;
    if (byte === FIRMATA.START_SYSEX) {
      this.expect = -1;
      return;
    }
    const kind = byte < 0xf0 ? byte & 0xf0 : byte;
    if (kind === FIRMATA.DIGITAL_MESSAGE || kind === FIRMATA.ANALOG_MESSAGE || kind === FIRMATA.REPORT_VERSION) {
      this.expect = 2;
      return;
    }
    this.expect = 0;
    this.current = [];
    this.discard('unexpectedCommand');
    // Its data bytes belong to the same drop.
    this.inStray = true;
  }

  private endSysex(): void {
    this.expect = 0;
    if (this.overlong) {
      this.overlong = false;
      this.current = [];
      return;
    }
    const frame = this.current;
    this.current = [];
    const payload = frame.slice(2, -1);
    const reason = this.checkSysex(frame[1], payload);
    if (reason) {
      this.discard(reason);
      return;
    }
    this.counters.messages++;
    this.push(Buffer.from(frame));
  }

  private checkSysex(command: number | undefined, payload: number[]): FirmataDropReason | undefined {
    switch (command) {
      case SYSEX.REPORT_FIRMWARE:
        return payload.length >= 2 && (payload.length - 2) % 2 === 0 ? undefined : 'malformed';
      case SYSEX.CAPABILITY_RESPONSE: {
        const pins = countCapabilityPins(payload);
        if (pins === undefined) return 'malformed';
        this.pinCount ??= pins;
        return undefined;
      }
      case SYSEX.ANALOG_MAPPING_RESPONSE:
        return this.pinCount !== undefined && payload.length <= this.pinCount ? undefined : 'malformed';
      case SYSEX.PIN_STATE_RESPONSE: {
        if (this.pinCount === undefined || payload.length < 3 || payload.length > 5 || payload[0]! >= this.pinCount) return 'malformed';
        const asked = this.pinStateAsked.get(payload[0]!) ?? 0;
        if (asked === 0) return 'unsolicited';
        if (asked === 1) this.pinStateAsked.delete(payload[0]!);
        else this.pinStateAsked.set(payload[0]!, asked - 1);
        return undefined;
      }
      case SYSEX.STRING_DATA:
        return undefined;
      default:
        return 'unknownSysex';
    }
  }

  private emitMessage(): void {
    this.counters.messages++;
    this.push(Buffer.from(this.current));
    this.current = [];
  }

  private discard(reason: FirmataDropReason): void {
    this.counters.dropped[reason]++;
    if (!this.warned.has(reason)) {
      this.warned.add(reason);
      log.warn({ reason }, 'dropped bytes from the door board');
    } else log.debug({ reason }, 'dropped bytes from the door board');
  }
}

/** Pins in a capability reply: (mode, resolution) pairs, each pin closed by 0x7F; undefined if broken. */
export function countCapabilityPins(payload: readonly number[]): number | undefined {
  let pins = 0;
  let i = 0;
  while (i < payload.length) {
    const b = payload[i]!;
    if (b === CAPABILITY_PIN_END) {
      pins++;
      i++;
      continue;
    }
    const resolution = payload[i + 1];
    if (resolution === undefined || resolution === CAPABILITY_PIN_END) return undefined;
    i += 2;
  }
  if (payload.length > 0 && payload[payload.length - 1] !== CAPABILITY_PIN_END) return undefined;
  return pins > 0 && pins <= MAX_PINS ? pins : undefined;
}
