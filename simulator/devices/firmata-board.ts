/**
 * An emulated Arduino running StandardFirmata (protocol 2.5), byte for byte, over any Duplex: the
 * door board as johnny-five sees it. On attach it boots (after `bootMs`, as after the reset the
 * serial line's DTR causes) and announces its protocol version and firmware name; it answers
 * REPORT_VERSION, REPORT_FIRMWARE, CAPABILITY_QUERY, ANALOG_MAPPING_QUERY and PIN_STATE_QUERY; it
 * takes SET_PIN_MODE, REPORT_DIGITAL, SAMPLING_INTERVAL, digital writes and SYSTEM_RESET; and it
 * sends a DIGITAL_MESSAGE for a reported port as soon as one of its input pins changes level, as
 * StandardFirmata's loop does. The simulator sets input levels with `setPin`.
 *
 * Faults: `disconnect('unplug')` ends the stream and refuses new ones until `reconnect()`;
 * `disconnect('silent')` keeps the stream but the board neither answers nor reports (a hung
 * sketch) until `reconnect()` reboots it.
 *
 * Must never: read the wall clock (boot delay runs on the Clock), open a port, or throw on what the
 * host sends (bad bytes are counted and dropped, as the firmware's parser would ignore them).
 * Analog sampling is not emulated: the door board has no analog inputs.
 */
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { createDuplexPair } from '../../common/duplex-pair.js';
import { DisconnectedError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import {
  CAPABILITY_PIN_END,
  FIRMATA,
  NO_ANALOG_CHANNEL,
  PIN_MODE,
  SYSEX,
  digitalMessage,
  firmwareMessage,
  from7Bit,
  reportVersionMessage,
  sysex,
  encodeString7,
} from '../../firmware-bindings/door-board/firmata-protocol.js';

const log = moduleLogger('sim.firmata-board');

/** What one pin can do: (mode, resolution) pairs in the order StandardFirmata reports them. */
export interface PinCapability {
  modes: ReadonlyArray<readonly [mode: number, resolution: number]>;
  /** Analog channel, when the pin has one. */
  analogChannel?: number;
}

export interface BoardProfile {
  name: string;
  pins: readonly PinCapability[];
}

/** StandardFirmata's capability list for one pin (Boards.h: digital, analog, PWM, servo, I2C). */
function standardPin(p: { digital: boolean; analog?: number; pwm?: boolean; i2c?: boolean }): PinCapability {
  const modes: Array<[number, number]> = [];
  if (p.digital) modes.push([PIN_MODE.INPUT, 1], [PIN_MODE.PULLUP, 1], [PIN_MODE.OUTPUT, 1]);
  if (p.analog !== undefined) modes.push([PIN_MODE.ANALOG, 10]);
  if (p.pwm) modes.push([PIN_MODE.PWM, 8]);
  if (p.digital) modes.push([PIN_MODE.SERVO, 14]);
  if (p.i2c) modes.push([PIN_MODE.I2C, 1]);
  return { modes, ...(p.analog !== undefined ? { analogChannel: p.analog } : {}) };
}

/** Arduino Uno: 20 pins, 0–1 the serial line, A0–A5 on 14–19, PWM on 3 5 6 9 10 11, I2C 18–19. */
export const ARDUINO_UNO: BoardProfile = {
  name: 'uno',
  pins: Array.from({ length: 20 }, (_, p) =>
    standardPin({ digital: p >= 2, ...(p >= 14 ? { analog: p - 14 } : {}), pwm: [3, 5, 6, 9, 10, 11].includes(p), i2c: p === 18 || p === 19 }),
  ),
};

/** Arduino Mega 2560: 70 pins, 0–1 the serial line, A0–A15 on 54–69, PWM 2–13 and 44–46, I2C 20–21. */
export const ARDUINO_MEGA: BoardProfile = {
  name: 'mega',
  pins: Array.from({ length: 70 }, (_, p) =>
    standardPin({ digital: p >= 2, ...(p >= 54 ? { analog: p - 54 } : {}), pwm: (p >= 2 && p <= 13) || (p >= 44 && p <= 46), i2c: p === 20 || p === 21 }),
  ),
};

export const BOARD_PROFILES: Readonly<Record<string, BoardProfile>> = { uno: ARDUINO_UNO, mega: ARDUINO_MEGA };

export interface FirmataBoardOptions {
  profile?: BoardProfile;
  /** From attach (the reset) to the version announcement (default 0; a real Uno takes about 1.6 s). */
  bootMs?: number;
  firmwareName?: string;
  /** Firmware version (default 2.5) and protocol version (default 2.5). */
  firmwareVersion?: readonly [number, number];
  protocolVersion?: readonly [number, number];
}

export type DisconnectMode = 'unplug' | 'silent';

export interface FirmataBoardCounters {
  /** Messages from the host that the firmware acted on. */
  commands: number;
  /** Bytes from the host dropped: data without a command, unknown commands, broken or overlong sysex. */
  droppedBytes: number;
  /** Sysex commands the firmware does not support (ignored, as StandardFirmata ignores them). */
  unsupportedSysex: number;
  /** Messages sent to the host. */
  messagesOut: number;
}

/** StandardFirmata's parser holds at most this many sysex bytes. */
const MAX_SYSEX = 64;

export class FirmataBoardEmulator {
  readonly profile: BoardProfile;
  private readonly bootMs: number;
  private readonly firmwareName: string;
  private readonly firmwareVersion: readonly [number, number];
  private readonly protocolVersion: readonly [number, number];
  private readonly levels: boolean[];
  private readonly outputs: number[];
  private readonly modes: number[];
  private readonly reportPort: boolean[];
  private readonly lastSent: number[];
  private stream: Duplex | undefined;
  private detachStream: (() => void) | undefined;
  private booted = false;
  private bootTimer: TimerHandle | undefined;
  private plugged = true;
  private silent = false;
  private samplingIntervalMs = 19;
  // Parser state for bytes from the host.
  private command = 0;
  private waitFor = 0;
  private data: number[] = [];
  private inSysex = false;
  private sysexOverflow = false;
  readonly counters: FirmataBoardCounters = { commands: 0, droppedBytes: 0, unsupportedSysex: 0, messagesOut: 0 };

  constructor(
    private readonly clock: Clock,
    options: FirmataBoardOptions = {},
  ) {
    this.profile = options.profile ?? ARDUINO_UNO;
    this.bootMs = options.bootMs ?? 0;
    this.firmwareName = options.firmwareName ?? 'StandardFirmata.ino';
    this.firmwareVersion = options.firmwareVersion ?? [2, 5];
    this.protocolVersion = options.protocolVersion ?? [2, 5];
    const n = this.profile.pins.length;
    this.levels = Array.from({ length: n }, () => false);
    this.outputs = Array.from({ length: n }, () => 0);
    this.modes = Array.from({ length: n }, () => PIN_MODE.OUTPUT);
    const ports = Math.ceil(n / 8);
    this.reportPort = Array.from({ length: ports }, () => false);
    this.lastSent = Array.from({ length: ports }, () => 0);
    this.systemReset();
  }

  get pinCount(): number {
    return this.profile.pins.length;
  }

  /** True while a stream is attached, the board has booted and is not hung. */
  get answering(): boolean {
    return this.stream !== undefined && this.booted && !this.silent;
  }

  get isPlugged(): boolean {
    return this.plugged;
  }

  get samplingInterval(): number {
    return this.samplingIntervalMs;
  }

  /** The mode the host last set on a pin. */
  pinMode(pin: number): number | undefined {
    return this.modes[pin];
  }

  /** The level the host last wrote to an output pin. */
  outputLevel(pin: number): number | undefined {
    return this.outputs[pin];
  }

  /** The electrical level on a pin, as the door hardware drives it. Reported at once when it changes. */
  setPin(pin: number, high: boolean): void {
    if (pin < 0 || pin >= this.levels.length) throw new RangeError(`pin ${pin} is not on a ${this.profile.name} board`);
    if (this.levels[pin] === high) return;
    this.levels[pin] = high;
    this.reportChanges(pin >> 3);
  }

  getPin(pin: number): boolean {
    return this.levels[pin] ?? false;
  }

  /** Connects the board's serial line to a stream; the board resets and boots as on a real DTR reset. */
  attach(stream: Duplex): void {
    if (!this.plugged) throw new DisconnectedError('the board is unplugged');
    this.detach();
    this.stream = stream;
    const onData = (chunk: Buffer): void => this.receive(chunk);
    const onGone = (): void => {
      if (this.stream === stream) this.detach();
    };
    stream.on('data', onData);
    stream.once('end', onGone);
    stream.once('close', onGone);
    stream.on('error', onGone);
    this.detachStream = () => {
      stream.off('data', onData);
      stream.off('end', onGone);
      stream.off('close', onGone);
      stream.off('error', onGone);
    };
    this.boot();
  }

  /**
   * A new in-memory serial line to the board: returns the host's end (what a port opener gives the
   * binding). Refused with DisconnectedError while the board is unplugged.
   */
  openHostPort(options: { maxChunk?: number } = {}): Duplex {
    if (!this.plugged) throw new DisconnectedError('no door board on the port');
    const [host, board] = createDuplexPair(options);
    this.attach(board);
    return host;
  }

  disconnect(mode: DisconnectMode = 'unplug'): void {
    log.debug({ mode }, 'board fault');
    if (mode === 'silent') {
      this.silent = true;
      return;
    }
    this.plugged = false;
    const stream = this.stream;
    this.detach();
    stream?.destroy();
  }

  /** Ends a fault: an unplugged board accepts a new stream; a hung one reboots on its stream. */
  reconnect(): void {
    this.plugged = true;
    if (this.silent) {
      this.silent = false;
      if (this.stream) this.boot();
    }
  }

  /** Writes bytes as they are (line noise) to the host. */
  sendRaw(bytes: Uint8Array): void {
    this.writeOut(Buffer.from(bytes), false);
  }

  close(): void {
    this.clock.clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
    const stream = this.stream;
    this.detach();
    stream?.destroy();
  }

  private detach(): void {
    this.detachStream?.();
    this.detachStream = undefined;
    this.stream = undefined;
    this.booted = false;
    this.clock.clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
  }

  private boot(): void {
    this.booted = false;
    this.resetParser();
    this.clock.clearTimeout(this.bootTimer);
    const done = (): void => {
      this.bootTimer = undefined;
      this.booted = true;
      // StandardFirmata's setup(): Firmata.begin() prints the version and the firmware, then resets.
      this.send(reportVersionMessage(...this.protocolVersion));
      this.send(firmwareMessage(this.firmwareVersion[0], this.firmwareVersion[1], this.firmwareName));
      this.systemReset();
    };
    if (this.bootMs > 0) this.bootTimer = this.clock.setTimeout(done, this.bootMs);
    else done();
  }

  /** systemResetCallback(): analog pins to ANALOG, the others to OUTPUT, all reporting off. */
  private systemReset(): void {
    this.profile.pins.forEach((cap, pin) => {
      const digital = cap.modes.some(([m]) => m === PIN_MODE.INPUT);
      this.modes[pin] = cap.analogChannel !== undefined ? PIN_MODE.ANALOG : digital ? PIN_MODE.OUTPUT : PIN_MODE.INPUT;
      this.outputs[pin] = 0;
    });
    this.reportPort.fill(false);
    this.lastSent.fill(0);
  }

  private resetParser(): void {
    this.command = 0;
    this.waitFor = 0;
    this.data = [];
    this.inSysex = false;
    this.sysexOverflow = false;
  }

  private receive(chunk: Buffer): void {
    if (!this.booted || this.silent) return;
    for (const byte of chunk) this.parse(byte);
  }

  private parse(byte: number): void {
    if (this.inSysex) {
      if (byte === FIRMATA.END_SYSEX) {
        this.inSysex = false;
        if (this.sysexOverflow) this.sysexOverflow = false;
        else this.onSysex(this.data);
        this.data = [];
        return;
      }
      if (byte < 0x80) {
        if (this.data.length >= MAX_SYSEX) {
          if (!this.sysexOverflow) this.counters.droppedBytes += this.data.length;
          this.sysexOverflow = true;
          this.counters.droppedBytes++;
        } else this.data.push(byte);
        return;
      }
      // A command byte inside a sysex: the sysex was broken off; read the byte as a new command.
      this.counters.droppedBytes += this.data.length + 1;
      this.inSysex = false;
      this.sysexOverflow = false;
      this.data = [];
    }
    if (byte < 0x80) {
      if (this.waitFor > 0) {
        this.data.push(byte);
        if (this.data.length === this.waitFor) {
          const [command, data] = [this.command, this.data];
          this.waitFor = 0;
          this.data = [];
          this.onCommand(command, data);
        }
      } else this.counters.droppedBytes++;
      return;
    }
    if (this.waitFor > 0) this.counters.droppedBytes += this.data.length + 1;
    this.waitFor = 0;
    this.data = [];
    this.command = byte;
    if (byte === FIRMATA.START_SYSEX) {
      this.inSysex = true;
      return;
    }
    const kind = byte < 0xf0 ? byte & 0xf0 : byte;
    switch (kind) {
      case FIRMATA.REPORT_VERSION:
      case FIRMATA.SYSTEM_RESET:
        return this.onCommand(byte, []);
      case FIRMATA.DIGITAL_MESSAGE:
      case FIRMATA.ANALOG_MESSAGE:
      case FIRMATA.SET_PIN_MODE:
      case FIRMATA.SET_DIGITAL_PIN_VALUE:
        this.waitFor = 2;
        return;
      case FIRMATA.REPORT_ANALOG:
      case FIRMATA.REPORT_DIGITAL:
        this.waitFor = 1;
        return;
      default:
        this.counters.droppedBytes++;
    }
  }

  private onCommand(command: number, data: number[]): void {
    this.counters.commands++;
    const kind = command < 0xf0 ? command & 0xf0 : command;
    const channel = command & 0x0f;
    switch (kind) {
      case FIRMATA.REPORT_VERSION:
        return this.send(reportVersionMessage(...this.protocolVersion));
      case FIRMATA.SYSTEM_RESET:
        return this.systemReset();
      case FIRMATA.SET_PIN_MODE:
        return this.setPinMode(data[0]!, data[1]!);
      case FIRMATA.REPORT_DIGITAL: {
        if (channel >= this.reportPort.length) return;
        this.reportPort[channel] = data[0] !== 0;
        // StandardFirmata sends the port's value at once when reporting is switched on.
        if (this.reportPort[channel]) this.sendPort(channel);
        return;
      }
      case FIRMATA.REPORT_ANALOG:
        return;
      case FIRMATA.DIGITAL_MESSAGE: {
        const bits = from7Bit(data[0]!, data[1]!);
        for (let i = 0; i < 8; i++) {
          const pin = channel * 8 + i;
          if (this.modes[pin] === PIN_MODE.OUTPUT) this.outputs[pin] = (bits >> i) & 1;
        }
        return;
      }
      case FIRMATA.SET_DIGITAL_PIN_VALUE: {
        const pin = data[0]!;
        if (this.modes[pin] === PIN_MODE.OUTPUT) this.outputs[pin] = data[1]! ? 1 : 0;
        return;
      }
      case FIRMATA.ANALOG_MESSAGE:
        if (channel < this.outputs.length) this.outputs[channel] = from7Bit(data[0]!, data[1]!);
        return;
    }
  }

  private setPinMode(pin: number, mode: number): void {
    const cap = this.profile.pins[pin];
    if (!cap) return;
    if (!cap.modes.some(([m]) => m === mode)) {
      this.send(sysex(SYSEX.STRING_DATA, encodeString7('Unknown pin mode')));
      return;
    }
    this.modes[pin] = mode;
    if (mode === PIN_MODE.OUTPUT) this.outputs[pin] = 0;
    // The firmware's loop reads the port on its next pass and reports what changed.
    this.reportChanges(pin >> 3);
  }

  private onSysex(data: number[]): void {
    const [command, ...args] = data;
    switch (command) {
      case SYSEX.REPORT_FIRMWARE:
        this.counters.commands++;
        return this.send(firmwareMessage(this.firmwareVersion[0], this.firmwareVersion[1], this.firmwareName));
      case SYSEX.CAPABILITY_QUERY: {
        this.counters.commands++;
        const payload: number[] = [];
        for (const cap of this.profile.pins) {
          for (const [mode, resolution] of cap.modes) payload.push(mode, resolution);
          payload.push(CAPABILITY_PIN_END);
        }
        return this.send(sysex(SYSEX.CAPABILITY_RESPONSE, payload));
      }
      case SYSEX.ANALOG_MAPPING_QUERY:
        this.counters.commands++;
        return this.send(sysex(SYSEX.ANALOG_MAPPING_RESPONSE, this.profile.pins.map((cap) => cap.analogChannel ?? NO_ANALOG_CHANNEL)));
      case SYSEX.PIN_STATE_QUERY: {
        const pin = args[0];
        if (pin === undefined || pin >= this.pinCount) return;
        this.counters.commands++;
        const mode = this.modes[pin]!;
        const state = mode === PIN_MODE.PULLUP ? 1 : mode === PIN_MODE.INPUT ? 0 : this.outputs[pin]!;
        const bytes = [state & 0x7f];
        if (state > 0x7f) bytes.push((state >> 7) & 0x7f);
        if (state > 0x3fff) bytes.push((state >> 14) & 0x7f);
        return this.send(sysex(SYSEX.PIN_STATE_RESPONSE, [pin, mode, ...bytes]));
      }
      case SYSEX.SAMPLING_INTERVAL:
        if (args.length >= 2) {
          this.counters.commands++;
          this.samplingIntervalMs = Math.max(1, from7Bit(args[0]!, args[1]!));
        }
        return;
      default:
        this.counters.unsupportedSysex++;
    }
  }

  /** The input bits of a port: pins in INPUT or PULLUP mode at a high level. */
  private portValue(port: number): number {
    let bits = 0;
    for (let i = 0; i < 8; i++) {
      const pin = port * 8 + i;
      const mode = this.modes[pin];
      if ((mode === PIN_MODE.INPUT || mode === PIN_MODE.PULLUP) && this.levels[pin]) bits |= 1 << i;
    }
    return bits;
  }

  private reportChanges(port: number): void {
    if (!this.reportPort[port]) return;
    if (this.portValue(port) !== this.lastSent[port]) this.sendPort(port);
  }

  private sendPort(port: number): void {
    const bits = this.portValue(port);
    this.lastSent[port] = bits;
    this.send(digitalMessage(port, bits));
  }

  private send(message: Buffer): void {
    this.writeOut(message, true);
  }

  private writeOut(bytes: Buffer, counted: boolean): void {
    const stream = this.stream;
    if (!stream || !this.booted || this.silent || stream.destroyed || stream.writableEnded) return;
    if (counted) this.counters.messagesOut++;
    stream.write(bytes);
  }
}
