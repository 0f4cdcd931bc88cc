/**
 * An emulated on-board computer on the IBIS vehicle bus: it writes, byte for byte, what a real one
 * sends: every telegram of the current service again every few seconds (with time and date), the
 * stop at once on arrival, and line, course, destination and destination text at once when the
 * driver sets a new trip at a terminus. By option it also sends a driver-number telegram, so tests
 * can prove the gateway drops it. The simulator drives it through setTrip and setStop on a Clock.
 *
 * Must never: read the wall clock, or open a port (it takes any writable byte stream).
 */
import type { Writable } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { localClock } from '../../common/time.js';
import { frameTelegram } from '../../firmware-bindings/ibis/ibis-framing.js';
import { encodeDriverNumberTelegram, encodeTelegram, type IbisTelegram } from '../../firmware-bindings/ibis/ibis-telegrams.js';

export interface IbisTrip {
  line: number;
  course: number;
  destination: number;
  destinationName: string;
}

export interface IbisBusEmulatorOptions {
  /** Repetition period of the whole service picture (default 5 s). */
  repeatMs?: number;
  /** Zone of the time and date telegrams (default Europe/Berlin). */
  timeZone?: string;
  /** Send the line as DS001 `l###` (default) or DS001neu `q####`. */
  lineTelegram?: 'l' | 'q';
  /** When set, a driver-number telegram goes out with every trip and repetition (to test the drop). */
  driverNumber?: number;
}

export class IbisBusEmulator {
  private trip: IbisTrip | undefined;
  private stop: { stop: number; name: string } | undefined;
  private timer: TimerHandle | undefined;
  private silent = false;
  private closed = false;
  private readonly repeatMs: number;
  private readonly timeZone: string;
  /** Telegrams written so far (driver numbers included). */
  telegramsSent = 0;

  constructor(
    private readonly stream: Writable,
    private readonly clock: Clock,
    private readonly options: IbisBusEmulatorOptions = {},
  ) {
    this.repeatMs = options.repeatMs ?? 5000;
    this.timeZone = options.timeZone ?? 'Europe/Berlin';
    this.schedule();
  }

  /** The driver sets a new trip (at a terminus): line, course, destination and its text go out now. */
  setTrip(trip: IbisTrip): void {
    this.trip = { ...trip };
    this.send(this.tripTelegrams());
  }

  /** The vehicle arrives at a stop: its number along the line and its name go out now. */
  setStop(stop: number, name: string): void {
    this.stop = { stop, name };
    this.send(this.stopTelegrams());
  }

  /** Stops (true) or resumes (false) all sending, as an on-board computer that hangs or reboots. */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** Writes bytes as they are (line noise, a broken telegram) for fault tests. */
  sendRaw(bytes: Uint8Array): void {
    if (this.writable) this.stream.write(bytes);
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private get writable(): boolean {
    return !this.closed && !this.stream.destroyed && !this.stream.writableEnded;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.repeat();
      if (!this.closed) this.schedule();
    }, this.repeatMs);
  }

  private repeat(): void {
    const local = localClock(this.clock.now(), this.timeZone);
    const seconds = Math.floor(local.secondsOfDay);
    const clockTelegrams: IbisTelegram[] = [
      { kind: 'time', ds: 'DS005', hour: Math.floor(seconds / 3600), minute: Math.floor(seconds / 60) % 60 },
      {
        kind: 'date',
        ds: 'DS006',
        day: Number(local.date.slice(6, 8)),
        month: Number(local.date.slice(4, 6)),
        yearDigit: Number(local.date.slice(3, 4)),
      },
    ];
    this.send([...clockTelegrams.map(encodeTelegram), ...this.tripTelegrams(), ...this.stopTelegrams()]);
  }

  private tripTelegrams(): string[] {
    const trip = this.trip;
    if (!trip) return [];
    const line: IbisTelegram =
      this.options.lineTelegram === 'q' ? { kind: 'lineText', ds: 'DS001neu', line: String(trip.line) } : { kind: 'line', ds: 'DS001', line: trip.line };
    const texts = [
      encodeTelegram(line),
      encodeTelegram({ kind: 'course', ds: 'DS002', course: trip.course }),
      encodeTelegram({ kind: 'destination', ds: 'DS003', destination: trip.destination }),
      encodeTelegram({ kind: 'destinationText', ds: 'DS003a', text: trip.destinationName }),
    ];
    if (this.options.driverNumber !== undefined) texts.push(encodeDriverNumberTelegram(this.options.driverNumber));
    return texts;
  }

  private stopTelegrams(): string[] {
    const stop = this.stop;
    if (!stop) return [];
    return [encodeTelegram({ kind: 'stop', ds: 'DS010', stop: stop.stop }), encodeTelegram({ kind: 'nextStopText', ds: 'DS003c', text: stop.name })];
  }

  private send(texts: string[]): void {
    if (!this.writable || this.silent || texts.length === 0) return;
    this.telegramsSent += texts.length;
    this.stream.write(Buffer.concat(texts.map(frameTelegram)));
  }
}
