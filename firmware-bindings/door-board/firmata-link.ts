/**
 * johnny-five over a byte stream: firmata.js (firmata-io, the transport-free Firmata client)
 * gets a small transport object built on any Duplex, with the frame filter in between, and a
 * johnny-five Board takes that Firmata instance as its `io` once the handshake (version, firmware,
 * capabilities, analog mapping) is done. The door board then only sees this module's small typed
 * surface: ready, watch pins, ask a pin's state, gone.
 *
 * johnny-five keeps every Board it ever made in a module-level list (no public way out), so each
 * reconnection leaves one small Board object behind: bounded by the number of reconnections.
 *
 * Must never: let a johnny-five or firmata-io type leave this file, start johnny-five's REPL or its
 * console output, or register for SIGINT. Every timer of ours lives in the door board on the Clock;
 * the libraries' own real timers are disarmed (firmata.js's version timer is unref'd and cleared,
 * johnny-five's connect timer is cleared by the ready that follows its connect at once).
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { moduleLogger } from '../../common/log.js';
import { FirmataFrameFilter } from './firmata-frame-filter.js';
import { PIN_MODE } from './firmata-protocol.js';

const log = moduleLogger('door-board.link');
const require = createRequire(import.meta.url);

// The slice of firmata-io and johnny-five this module uses (neither ships types).
interface FirmataPin {
  supportedModes: number[];
  mode?: number;
}
interface FirmataIo extends EventEmitter {
  isReady: boolean;
  pins: FirmataPin[];
  firmware: { name?: string; version?: { major: number; minor: number } };
  version: { major?: number; minor?: number };
  reportVersionTimeoutId?: NodeJS.Timeout;
  reportVersion(callback: () => void): void;
  queryFirmware(callback: () => void): void;
  reportDigitalPin(pin: number, value: 0 | 1): void;
}
type FirmataCtor = new (transport: EventEmitter, options: Record<string, unknown>) => FirmataIo;
interface J5Board extends EventEmitter {
  type?: string;
  pinMode(pin: number, mode: number): J5Board;
  digitalRead(pin: number, callback: (value: number) => void): J5Board;
  queryPinState(pin: number, callback: () => void): J5Board;
}
type J5BoardCtor = (new (options: Record<string, unknown>) => J5Board) & { readonly cache?: J5Board[] };

const { Firmata } = require('firmata-io') as { Firmata: FirmataCtor };
const { Board } = require('johnny-five') as { Board: J5BoardCtor };

/** Boards johnny-five still holds in its module-wide list (one per link not yet closed). */
export function boardsHeld(): number {
  return Board.cache?.length ?? 0;
}

/** setTimeout's largest delay: firmata.js's own "ask for the version" timer never fires. */
const NEVER_MS = 2_147_483_647;

export interface BoardInfo {
  firmware: string;
  firmwareVersion: string;
  protocolVersion: string;
  /** johnny-five's name for the board it recognised by its pin count (UNO, MEGA, OTHER). */
  boardType: string;
  pinCount: number;
}

/**
 * What firmata.js calls on its transport: `on` for data/open/close/error and `write(buffer, done)`.
 * Writes go out on the next microtask, in order: firmata.js writes a request before it registers
 * for the reply (digitalRead), which a stream that answers synchronously (an in-memory pair to the
 * emulator) would otherwise beat. A serial line is never that fast; this makes every stream behave so.
 */
class StreamTransport extends EventEmitter {
  constructor(private readonly stream: Duplex) {
    super();
  }

  write(bytes: Buffer, done?: () => void): void {
    queueMicrotask(() => {
      const s = this.stream;
      if (s.destroyed || s.writableEnded) {
        done?.();
        return;
      }
      s.write(bytes, () => done?.());
    });
  }
}

export class JohnnyFiveLink {
  readonly filter = new FirmataFrameFilter();
  private readonly transport: StreamTransport;
  private readonly io: FirmataIo;
  private board: J5Board | undefined;
  private closed = false;
  private ready = false;
  private readonly watched = new Set<number>();
  private readonly goneListeners: Array<(why: string) => void> = [];
  private readonly resetListeners: Array<() => void> = [];

  constructor(private readonly stream: Duplex) {
    this.transport = new StreamTransport(stream);
    stream.pipe(this.filter);
    this.filter.on('data', (message: Buffer) => this.transport.emit('data', message));
    const gone = (why: string) => () => this.gone(why);
    stream.once('end', gone('stream ended'));
    stream.once('close', gone('stream closed'));
    // 'on': a port may report several errors while it goes away.
    stream.on('error', gone('stream error'));
    this.io = new Firmata(this.transport, { reportVersionTimeout: NEVER_MS });
    this.io.reportVersionTimeoutId?.unref();
    this.io.on('error', (e: unknown) => log.debug({ err: String(e) }, 'firmata error'));
  }

  /** Resolves with what the board said about itself once johnny-five's Board is ready. */
  onReady(listener: (info: BoardInfo) => void): void {
    this.io.once('ready', () => {
      if (this.closed) return;
      const board = new Board({ io: this.io, repl: false, debug: false, sigint: false });
      this.board = board;
      board.on('error', (e: unknown) => log.debug({ err: String(e) }, 'johnny-five error'));
      board.on('string', (text: unknown) => log.debug({ text: String(text).slice(0, 80) }, 'board says'));
      board.once('ready', () => {
        if (this.closed) return;
        this.ready = true;
        // A version announcement after the handshake means the board has rebooted.
        this.io.on('reportversion', () => {
          if (!this.closed) for (const l of this.resetListeners) l();
        });
        const fw = this.io.firmware;
        listener({
          firmware: fw.name ?? '',
          firmwareVersion: fw.version ? `${fw.version.major}.${fw.version.minor}` : '',
          protocolVersion: `${this.io.version.major ?? '?'}.${this.io.version.minor ?? '?'}`,
          boardType: board.type ?? 'OTHER',
          pinCount: this.io.pins.length,
        });
      });
    });
  }

  /** The stream went away (ended, closed, failed). Called once. */
  onGone(listener: (why: string) => void): void {
    this.goneListeners.push(listener);
  }

  /** The board announced its version again after the handshake: it rebooted and forgot its pin setup. */
  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  /** Asks for the version and firmware explicitly (a board that did not reset on open stays quiet). */
  requestVersion(): void {
    if (this.closed) return;
    this.io.reportVersion(() => undefined);
    this.io.queryFirmware(() => undefined);
  }

  /** Whether the board can read `pin` as a digital input (with its pull-up when asked). */
  supportsInput(pin: number, pullup: boolean): boolean {
    const modes = this.io.pins[pin]?.supportedModes ?? [];
    return modes.includes(pullup ? PIN_MODE.PULLUP : PIN_MODE.INPUT);
  }

  /** Sets the pins to input and reports every level the board sends for them. */
  watch(pins: readonly number[], pullup: boolean, listener: (pin: number, high: boolean) => void): void {
    const board = this.requireBoard();
    const mode = pullup ? PIN_MODE.PULLUP : PIN_MODE.INPUT;
    for (const pin of pins) {
      if (this.watched.has(pin)) continue;
      this.watched.add(pin);
      board.pinMode(pin, mode);
      board.digitalRead(pin, (value) => {
        if (!this.closed) listener(pin, value === 1);
      });
    }
  }

  /**
   * Switches reporting on again for the ports of the watched pins: StandardFirmata answers with each
   * port's levels at once, which corrects any level a corrupted message left behind.
   */
  refreshPorts(): void {
    this.requireBoard();
    const ports = new Map<number, number>();
    for (const pin of this.watched) if (!ports.has(pin >> 3)) ports.set(pin >> 3, pin);
    for (const pin of ports.values()) this.io.reportDigitalPin(pin, 1);
  }

  /** Asks the board for a pin's state; the callback gets the mode the board reports. */
  queryPin(pin: number, listener: (mode: number | undefined) => void): void {
    this.filter.expectPinState(pin);
    this.requireBoard().queryPinState(pin, () => {
      if (!this.closed) listener(this.io.pins[pin]?.mode);
    });
  }

  /** Stops listening and closes the stream; nothing of this link calls back afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.io.reportVersionTimeoutId) clearTimeout(this.io.reportVersionTimeoutId);
    this.stream.unpipe(this.filter);
    this.filter.removeAllListeners('data');
    this.io.removeAllListeners('ready');
    this.io.removeAllListeners('reportversion');
    this.board?.removeAllListeners('ready');
    // johnny-five keeps every Board it made in a module-wide list: take ours out, or each
    // reconnection of a flaky USB cable would leave one behind for the life of the service.
    const cache = Board.cache;
    const held = this.board ? (cache?.indexOf(this.board) ?? -1) : -1;
    if (held >= 0) cache!.splice(held, 1);
    this.stream.on('error', () => undefined);
    this.stream.destroy();
  }

  get isReady(): boolean {
    return this.ready && !this.closed;
  }

  private requireBoard(): J5Board {
    if (!this.board || !this.ready) throw new Error('the door board is not ready');
    return this.board;
  }

  private gone(why: string): void {
    if (this.closed) return;
    const listeners = this.goneListeners.splice(0);
    for (const l of listeners) l(why);
  }
}
