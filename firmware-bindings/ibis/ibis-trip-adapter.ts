/**
 * From the vehicle bus to source events: reads IBIS telegrams from a byte stream (serial port, pty
 * or in-memory pair) and hands TripContextEvents to an EventSink when line, course, destination or
 * stop change, timestamped on the injected Clock. A bus that stays silent (the on-board computer
 * repeats its telegrams every few seconds) or goes away is a 'vehicle-bus' SensorFaultEvent, cleared
 * by the next telegram.
 *
 * Must never: see a staff number (the parser drops them before this module), log telegram text, or
 * open a port (firmware-bindings/transport/serial-port.ts does that).
 */
import type { Readable } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import type { EventSink, TripContextEvent } from '../../contracts/source-events.js';
import { IbisTelegramParser, type IbisReaderCounters } from './ibis-telegram-parser.js';
import type { IbisTelegram } from './ibis-telegrams.js';

const log = moduleLogger('ibis.adapter');

export interface IbisTripAdapterOptions {
  /** No telegram for this long makes a 'vehicle-bus' fault (default 30 s: several missed repetitions). */
  silenceMs?: number;
}

/** What the bus has said so far, as the adapter last reported it. */
export type IbisTripState = Omit<TripContextEvent, 'type' | 'at'>;

export const IBIS_SILENCE_REASON = 'no telegrams from the vehicle bus';
export const IBIS_GONE_REASON = 'vehicle bus disconnected';

export class IbisTripAdapter {
  private readonly parser = new IbisTelegramParser();
  private readonly silenceMs: number;
  private readonly current: IbisTripState = {};
  private silenceTimer: TimerHandle | undefined;
  private faultReason: string | undefined;
  private closed = false;
  /** Telegrams read that the event has no field for (DS004b, DS005, DS006) and DS001neu lines that are not numbers. */
  unmapped = 0;

  constructor(
    private readonly stream: Readable,
    private readonly clock: Clock,
    private readonly sink: EventSink,
    options: IbisTripAdapterOptions = {},
  ) {
    this.silenceMs = options.silenceMs ?? 30_000;
    stream.pipe(this.parser);
    this.parser.on('data', (t: IbisTelegram) => this.onTelegram(t));
    const gone = (): void => this.onGone();
    stream.once('end', gone);
    stream.once('close', gone);
    // 'on', not 'once': a port may report several errors while it goes away.
    stream.on('error', gone);
    this.armSilence();
  }

  get counters(): Readonly<IbisReaderCounters> {
    return this.parser.counters;
  }

  get state(): Readonly<IbisTripState> {
    return { ...this.current };
  }

  /** Stops reading and cancels the silence timer; the stream is left to its owner. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    this.stream.unpipe(this.parser);
    this.parser.removeAllListeners('data');
  }

  private onTelegram(t: IbisTelegram): void {
    if (this.closed) return;
    this.armSilence();
    this.setFault(undefined);
    const change = this.fieldOf(t);
    if (!change) {
      this.unmapped++;
      return;
    }
    const [field, value] = change;
    if (this.current[field] === value) return;
    (this.current as Record<string, unknown>)[field] = value;
    this.sink.handle({ type: 'trip', at: this.clock.now(), [field]: value });
  }

  private fieldOf(t: IbisTelegram): [keyof IbisTripState, number | string] | undefined {
    switch (t.kind) {
      case 'line':
        return ['line', t.line];
      case 'lineText':
        return /^\d+$/.test(t.line) ? ['line', Number(t.line)] : undefined;
      case 'course':
        return ['course', t.course];
      case 'destination':
        return ['destination', t.destination];
      case 'destinationText':
        return ['destinationName', t.text];
      case 'nextStopText':
        return ['stopName', t.text];
      case 'stop':
        return ['stop', t.stop];
      case 'validatorStop':
      case 'time':
      case 'date':
        return undefined;
    }
  }

  private armSilence(): void {
    if (this.closed) return;
    this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = this.clock.setTimeout(() => {
      this.silenceTimer = undefined;
      this.setFault(IBIS_SILENCE_REASON);
    }, this.silenceMs);
  }

  private onGone(): void {
    if (this.closed) return;
    this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    this.setFault(IBIS_GONE_REASON);
  }

  /** One fault at a time: a new reason ends the old one first. */
  private setFault(reason: string | undefined): void {
    if (reason === this.faultReason) return;
    const at = this.clock.now();
    if (this.faultReason !== undefined) {
      log.warn({ reason: this.faultReason }, 'vehicle bus fault ended');
      this.sink.handle({ type: 'fault', at, sensor: 'vehicle-bus', active: false, reason: this.faultReason });
    }
    this.faultReason = reason;
    if (reason !== undefined) {
      log.warn({ reason }, 'vehicle bus fault');
      this.sink.handle({ type: 'fault', at, sensor: 'vehicle-bus', active: true, reason });
    }
  }
}
