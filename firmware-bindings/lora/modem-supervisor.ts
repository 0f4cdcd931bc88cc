/**
 * Keeps a LoRaWAN module usable whatever its dialect: it owns the byte stream and the dialect
 * driver on it, and is itself the LoraModem the gateway uses. A module that stops answering
 * (N consecutive command timeouts) gets its soft reset (`ATZ`, `sys reset`), then the hardware reset
 * if one is wired, and is configured again; a stream that goes away (the `disconnected` event) is
 * opened again with back-off and a fresh driver. After either the module is not joined: the owner
 * (the uplink scheduler) joins again within its airtime budget, so this never joins by itself.
 * Must never open ports itself (it is given `connect`) nor hide a call's error: a call that fails
 * still fails, recovery happens beside it.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../common/clock.js';
import { DisconnectedError, TimeoutError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import type { Backoff, DialectDriver } from './dialect-common.js';
import type { LoraModem, LoraModemEvents, ModemDialect, ModemStatus, SendOptions, SendResult } from './modem.js';

const log = moduleLogger('lora.supervisor');

export interface ModemSupervisorDeps {
  clock: Clock;
  dialect: ModemDialect;
  /** Opens the byte stream to the module (the serial port); rejects while it is not there. */
  connect: () => Promise<Duplex>;
  /** The dialect driver on a freshly opened stream. */
  driver: (stream: Duplex) => DialectDriver;
  /**
   * Pulls the module's reset line or cycles its power; absent: the soft reset is all there is.
   * Aborted (the signal) when the supervisor is closed.
   */
  hardwareReset?: (signal: AbortSignal) => Promise<void>;
}

export interface ModemSupervisorOptions {
  /** Consecutive command timeouts after which the module counts as hung. */
  maxConsecutiveTimeouts: number;
  /** Waits between attempts to open the stream again. */
  reconnectBackoffMs: Backoff;
}

export const DEFAULT_SUPERVISOR_OPTIONS: Readonly<ModemSupervisorOptions> = Object.freeze({
  maxConsecutiveTimeouts: 3,
  reconnectBackoffMs: { first: 1000, factor: 2, max: 60_000 },
});

export interface SupervisorStats {
  timeouts: number;
  softResets: number;
  hardResets: number;
  failedRecoveries: number;
  disconnects: number;
  reconnectAttempts: number;
  reconnects: number;
}

export class ModemSupervisor extends EventEmitter<LoraModemEvents> implements LoraModem {
  readonly dialect: ModemDialect;
  readonly stats: SupervisorStats = { timeouts: 0, softResets: 0, hardResets: 0, failedRecoveries: 0, disconnects: 0, reconnectAttempts: 0, reconnects: 0 };
  private readonly options: ModemSupervisorOptions;
  private driver: DialectDriver | undefined;
  private stream: Duplex | undefined;
  private consecutiveTimeouts = 0;
  private recovering: Promise<void> | undefined;
  private reconnecting: Promise<void> | undefined;
  private readonly closing = new AbortController();

  constructor(
    private readonly deps: ModemSupervisorDeps,
    options: Partial<ModemSupervisorOptions> = {},
  ) {
    super();
    this.dialect = deps.dialect;
    this.options = { ...DEFAULT_SUPERVISOR_OPTIONS, ...options };
  }

  /** The driver in use (for its line counters); undefined while the stream is away. */
  get current(): DialectDriver | undefined {
    return this.driver;
  }

  get connected(): boolean {
    return this.driver !== undefined && this.reconnecting === undefined;
  }

  /** Opens the stream and configures the module; a port that is not there fails here, loudly. */
  async open(): Promise<void> {
    await this.attach(await this.deps.connect());
  }

  join(signal?: AbortSignal): Promise<void> {
    return this.call((d) => d.join(signal));
  }

  send(fPort: number, payload: Uint8Array, options?: SendOptions): Promise<SendResult> {
    return this.call((d) => d.send(fPort, payload, options));
  }

  status(): Promise<ModemStatus> {
    return this.call((d) => d.status());
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('modem closed'));
    const driver = this.driver;
    this.driver = undefined;
    if (driver) {
      driver.removeAllListeners();
      await driver.close();
    }
    this.stream?.destroy();
    this.stream = undefined;
  }

  /**
   * Waits out a reset under way (unless the supervisor is closed meanwhile: a stop never waits for a
   * reset); while the stream is away, fails at once (the caller retries later).
   */
  private async call<T>(fn: (driver: DialectDriver) => Promise<T>): Promise<T> {
    if (this.recovering) await Promise.race([this.recovering, whenAborted(this.closing.signal)]);
    const driver = this.driver;
    if (!driver || this.reconnecting) throw new DisconnectedError('modem port is away; reopening');
    try {
      const result = await fn(driver);
      if (driver === this.driver) this.consecutiveTimeouts = 0;
      return result;
    } catch (error) {
      if (driver === this.driver) this.onCallError(error);
      throw error;
    }
  }

  private onCallError(error: unknown): void {
    if (!(error instanceof TimeoutError)) {
      // Any answer, even a refusal, shows the module is alive.
      if (!(error instanceof DisconnectedError)) this.consecutiveTimeouts = 0;
      return;
    }
    this.stats.timeouts++;
    this.consecutiveTimeouts++;
    log.warn({ command: error.command, consecutive: this.consecutiveTimeouts }, 'modem did not answer');
    if (this.consecutiveTimeouts >= this.options.maxConsecutiveTimeouts && !this.recovering) {
      this.recovering = this.recover().finally(() => {
        this.recovering = undefined;
        this.consecutiveTimeouts = 0;
      });
    }
  }

  /** Soft reset, then the hardware reset if wired; each followed by configuring the module again. */
  private async recover(): Promise<void> {
    const driver = this.driver;
    if (!driver) return;
    log.warn({ dialect: this.dialect }, 'modem hung: resetting it');
    try {
      await driver.reset();
      await driver.open();
      this.stats.softResets++;
      this.recovered('reset');
      return;
    } catch (error) {
      log.warn({ error: (error as Error).message }, 'soft reset did not bring the modem back');
    }
    if (this.deps.hardwareReset && driver === this.driver) {
      try {
        await this.deps.hardwareReset(this.closing.signal);
        await driver.open();
        this.stats.hardResets++;
        this.recovered('reset');
        return;
      } catch (error) {
        log.warn({ error: (error as Error).message }, 'hardware reset did not bring the modem back');
      }
    }
    if (driver !== this.driver) return; // the port went away meanwhile: reconnecting takes over
    this.stats.failedRecoveries++;
    log.error({ dialect: this.dialect }, 'modem still not answering; trying again after more timeouts');
  }

  private recovered(how: 'reset' | 'reconnect'): void {
    log.info({ how }, 'modem answers again; it must join again');
    this.emit('recovered', how);
  }

  private async attach(stream: Duplex): Promise<void> {
    const driver = this.deps.driver(stream);
    this.stream = stream;
    this.driver = driver;
    driver.on('downlink', (downlink) => this.emit('downlink', downlink));
    driver.on('joined', () => this.emit('joined'));
    driver.on('disconnected', (error) => this.onDisconnected(driver, error));
    try {
      await driver.open();
    } catch (error) {
      // A module that does not answer at all right after the port opened is the hung case.
      this.onCallError(error);
      throw error;
    }
  }

  private onDisconnected(driver: DialectDriver, error: Error): void {
    if (driver !== this.driver || this.closing.signal.aborted) return;
    this.stats.disconnects++;
    log.warn({ error: error.message }, 'modem port went away; reopening with back-off');
    driver.removeAllListeners();
    this.driver = undefined;
    this.stream?.destroy();
    this.stream = undefined;
    this.emit('disconnected', error);
    this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
  }

  private async reconnect(): Promise<void> {
    const { first, factor, max } = this.options.reconnectBackoffMs;
    const signal = this.closing.signal;
    for (let wait = first; !signal.aborted; wait = Math.min(max, wait * factor)) {
      try {
        await this.deps.clock.sleep(wait, signal);
      } catch {
        return;
      }
      this.stats.reconnectAttempts++;
      let stream: Duplex;
      try {
        stream = await this.deps.connect();
      } catch (error) {
        log.info({ retryInMs: Math.min(max, wait * factor), error: (error as Error).message }, 'modem port still away');
        continue;
      }
      if (signal.aborted) {
        stream.destroy();
        return;
      }
      try {
        await this.attach(stream);
        this.stats.reconnects++;
        this.recovered('reconnect');
        return;
      } catch (error) {
        log.warn({ error: (error as Error).message }, 'modem port is back but the module did not answer');
        if (this.driver) return; // the stream is up: hang recovery takes it from here
      }
    }
  }
}

/** Rejects with a DisconnectedError once `signal` aborts (the supervisor was closed). */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new DisconnectedError('modem closed'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
