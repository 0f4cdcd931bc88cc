/**
 * What the AT-dialect drivers (rui3.ts, rn2483.ts) share, so each dialect file holds only its own
 * strings: option defaults, the uplink checks every module makes, the join loop with back-off, and
 * the wait for a "second response" (an event line that finishes a command after its status).
 * Knows no dialect's strings; must never log keys or payloads above debug.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../common/log.js';
import type { Clock } from '../../common/clock.js';
import { DisconnectedError, ProtocolError, TimeoutError } from '../../common/errors.js';
import { AtChannel } from './at-channel.js';
import type { LoraModem, LoraModemEvents, ModemDialect, ModemStatus, OtaaCredentials, SendOptions, SendResult } from './modem.js';
import { LORAWAN_OVERHEAD_BYTES, offTimeMs, uplinkTimeOnAirMs } from './airtime.js';
import { JOIN_ACCEPT_DELAY2_MS, maxPayload } from '../../contracts/lora-region-eu868.js';

export interface Backoff {
  first: number;
  factor: number;
  max: number;
}

export interface DialectOptions {
  credentials: OtaaCredentials;
  /** Let the network adapt the data rate (ADR). */
  adr?: boolean;
  /** Fixed data rate when ADR is off. */
  dr?: number;
  commandTimeoutMs?: number;
  /**
   * How long one join round (the module's own attempts) may take before the module counts as
   * silent. Default: what the dialect's round takes at the current data rate, with a margin.
   */
  joinTimeoutMs?: number;
  /** Back-off between join rounds: first, factor, cap. */
  joinBackoffMs?: Backoff;
  /** How long after the send command's status the TX event may take (airtime + RX windows). */
  sendTimeoutMs?: number;
}

export type ResolvedDialectOptions = Required<Omit<DialectOptions, 'dr' | 'joinTimeoutMs'>> & { dr?: number; joinTimeoutMs?: number };

export function resolveDialectOptions(options: DialectOptions): ResolvedDialectOptions {
  return {
    adr: true,
    commandTimeoutMs: 3000,
    joinBackoffMs: { first: 15_000, factor: 2, max: 900_000 },
    sendTimeoutMs: 20_000,
    ...options,
  };
}

/**
 * How long a module's join round takes at most: each attempt is a JoinRequest on air, the two
 * join-accept windows, and the wait before the next attempt (the round's own spacing or the
 * duty-cycle off time, whichever is longer); plus a margin for a slow serial line.
 */
export function joinRoundMs(dr: number, attempts: number, spacingMs: number): number {
  const toa = uplinkTimeOnAirMs(JOIN_REQUEST_PHY_BYTES - LORAWAN_OVERHEAD_BYTES, Math.min(dr, 5));
  const perAttempt = toa + JOIN_ACCEPT_DELAY2_MS + 1000;
  const between = Math.max(spacingMs, offTimeMs(toa, 0.01));
  return attempts * perAttempt + (attempts - 1) * between + 10_000;
}

/** A JoinRequest is 23 bytes on air. */
const JOIN_REQUEST_PHY_BYTES = 23;

/** What a driver counts of the lines it read, for health and tests. */
export interface LineCounters {
  /** Lines read and understood by the channel (replies and events). */
  linesIn: number;
  /** Garbled lines (control bytes, line noise, overlong) dropped by the channel. */
  droppedLines: number;
  /** Clean lines no command asked for and no event matches (half lines, stray replies). */
  unknownLines: number;
  /** Commands that got no answer in time. */
  timeouts: number;
}

/**
 * A dialect driver as the supervisor (modem-supervisor.ts) sees it: the LoraModem contract plus a
 * soft reset and the line counters.
 */
export interface DialectDriver extends LoraModem {
  /** The module's own reset command (`ATZ`, `sys reset`); resolves once it answers again. */
  reset(): Promise<void>;
  /** The DevEUI and JoinEUI the module holds now, lowercase (no module reads its AppKey back). */
  readIdentity(): Promise<{ devEui: string; joinEui: string }>;
  /** Makes the credentials written by open() survive a reset (RN2483 `mac save`; RUI3 keeps them itself). */
  saveCredentials(): Promise<void>;
  readonly counters: Readonly<LineCounters>;
}

/** Refuses an uplink the module would refuse: bad FPort, or a payload over the data rate's limit. */
export function checkUplink(command: string, fPort: number, payload: Uint8Array, dr: number): void {
  if (!Number.isInteger(fPort) || fPort < 1 || fPort > 223) throw new RangeError(`fPort ${fPort} is outside 1..223`);
  // DR6 (SF7, 250 kHz) and DR7 (FSK) carry what DR5 does.
  const limit = maxPayload(Math.min(dr, 5));
  if (payload.length > limit) {
    throw new ProtocolError(`${command}: ${payload.length} bytes exceed ${limit} at DR${dr}`, 'payload-too-long');
  }
}

/**
 * Joins in rounds until `isJoined()`: between failed rounds the wait grows by the back-off. A module
 * that stops answering (TimeoutError) or a stream that went away ends the loop with that error: that
 * is not a join failure but a fault for the supervisor.
 */
export async function joinWithBackoff(
  clock: Clock,
  backoff: Backoff,
  round: () => Promise<void>,
  isJoined: () => boolean,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  let wait = backoff.first;
  for (let attempt = 1; !isJoined(); attempt++) {
    signal?.throwIfAborted();
    try {
      await round();
      return;
    } catch (error) {
      if (error instanceof TimeoutError || error instanceof DisconnectedError) throw error;
      log.warn({ attempt, retryInMs: wait, error: (error as Error).message }, 'join failed, backing off');
    }
    await clock.sleep(wait, signal);
    wait = Math.min(backoff.max, wait * backoff.factor);
  }
}

export interface LineWait<T> {
  promise: Promise<T>;
  /** Stops waiting (the command that would have caused the line failed). */
  cancel(error: Error): void;
}

/**
 * Waits for the first unsolicited line `decide` settles on (a value, or an Error to reject with).
 * Start it before writing the command, so a reply in the same chunk as the status is not missed.
 * Rejects with TimeoutError naming `name` after `timeoutMs`, and with the channel's error if it closes.
 */
export function awaitLine<T>(
  at: AtChannel,
  clock: Clock,
  name: string,
  timeoutMs: number,
  decide: (line: string) => T | Error | undefined,
): LineWait<T> {
  let finish: (error: Error | undefined, value?: T) => void = () => undefined;
  const promise = new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => finish(new TimeoutError(name, timeoutMs)), timeoutMs);
    const onLine = (line: string): void => {
      const verdict = decide(line);
      if (verdict instanceof Error) finish(verdict);
      else if (verdict !== undefined) finish(undefined, verdict);
    };
    const onClosed = (error: Error): void => finish(error);
    finish = (error, value) => {
      finish = () => undefined;
      clock.clearTimeout(timer);
      at.off('line', onLine);
      at.off('closed', onClosed);
      if (error) reject(error);
      else resolve(value as T);
    };
    at.on('line', onLine);
    at.on('closed', onClosed);
  });
  // A cancelled wait nobody awaits must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, cancel: (error) => finish(error) };
}

/**
 * The frame of a dialect driver: the channel on the stream, join state and data rate, the join
 * loop, and commands whose outcome is a later line. A dialect adds its strings: open, one join
 * round, send, status, reset and its unsolicited lines.
 */
export abstract class AtDialectDriver extends EventEmitter<LoraModemEvents> implements DialectDriver {
  abstract readonly dialect: ModemDialect;
  protected readonly at: AtChannel;
  protected readonly options: ResolvedDialectOptions;
  protected joined = false;
  /** The data rate the module last reported; payload limits follow it. */
  protected currentDr = 0;

  constructor(
    stream: Duplex,
    protected readonly clock: Clock,
    options: DialectOptions,
    private readonly log: Logger,
  ) {
    super();
    this.options = resolveDialectOptions(options);
    this.at = new AtChannel(stream, clock, undefined, [this.options.credentials.appKey]);
    this.at.on('line', (line) => this.onUnsolicited(line));
    this.at.on('closed', (error) => {
      this.joined = false;
      this.emit('disconnected', error);
    });
  }

  get counters(): Readonly<LineCounters> {
    return this.at.counters;
  }

  abstract open(): Promise<void>;
  abstract send(fPort: number, payload: Uint8Array, options?: SendOptions): Promise<SendResult>;
  abstract status(): Promise<ModemStatus>;
  abstract reset(): Promise<void>;
  abstract readIdentity(): Promise<{ devEui: string; joinEui: string }>;
  abstract saveCredentials(): Promise<void>;
  /** One join round as the dialect makes it; resolves once joined. */
  protected abstract joinRound(): Promise<void>;
  /** A line no command was waiting for. */
  protected abstract onUnsolicited(line: string): void;

  join(signal?: AbortSignal): Promise<void> {
    return joinWithBackoff(this.clock, this.options.joinBackoffMs, () => this.joinRound(), () => this.joined, this.log, signal);
  }

  async close(): Promise<void> {
    this.removeAllListeners('downlink');
  }

  protected markJoined(): void {
    this.joined = true;
    this.emit('joined');
  }

  /**
   * A command answered first by a status and later by the line `decide` settles on. The wait starts
   * before the command is written, so a second response in the same chunk is not missed; if the
   * command is refused, the wait is dropped and the refusal thrown.
   */
  protected async withSecondResponse<T>(
    name: string,
    timeoutMs: number,
    decide: (line: string) => T | Error | undefined,
    command: () => Promise<unknown>,
  ): Promise<T> {
    const outcome = awaitLine(this.at, this.clock, name, timeoutMs, decide);
    try {
      await command();
    } catch (error) {
      outcome.cancel(error as Error);
      throw error;
    }
    return outcome.promise;
  }
}
