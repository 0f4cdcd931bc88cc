/**
 * RAK3172 with RUI3 firmware: AT commands at 115200 baud, CRLF lines, a value line then a status
 * line, asynchronous +EVT: lines. Speaks only this dialect; meaning (reports, acks) lives above.
 * Must never log the AppKey or any payload at a level above debug.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../common/clock.js';
import { ProtocolError, TimeoutError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import { AtChannel, type AtCommand, type LineVerdict } from './at-channel.js';
import { maxPayload } from './region-eu868.js';
import type {
  Downlink,
  LoraModem,
  LoraModemEvents,
  ModemStatus,
  OtaaCredentials,
  SendOptions,
  SendResult,
} from './modem.js';

const log = moduleLogger('lora.rui3');

export const RUI3_SERIAL = { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 } as const;

const STATUSES = new Set([
  'OK',
  'AT_ERROR',
  'AT_PARAM_ERROR',
  'AT_BUSY_ERROR',
  'AT_TEST_PARAM_OVERFLOW',
  'AT_NO_NETWORK_JOINED',
  'AT_RX_ERROR',
  'AT_DUTYCYCLE_RESTRICTED',
  'AT_COMMAND_NOT_FOUND',
  'AT_UNSUPPORTED_BAND',
]);

export interface Rui3Options {
  credentials: OtaaCredentials;
  /** Let the network adapt the data rate (ADR). */
  adr?: boolean;
  /** Fixed data rate when ADR is off. */
  dr?: number;
  commandTimeoutMs?: number;
  /** How long one AT+JOIN round (the module's own attempts) may take. */
  joinTimeoutMs?: number;
  /** Back-off between join rounds: first, factor, cap. */
  joinBackoffMs?: { first: number; factor: number; max: number };
  /** How long after AT+SEND's OK the TX events may take (airtime + RX windows). */
  sendTimeoutMs?: number;
}

function statusMatcher(valuePrefix?: string): (line: string) => LineVerdict {
  return (line) => {
    if (STATUSES.has(line)) return 'final';
    if (line.startsWith('+EVT:')) return 'unrelated';
    if (valuePrefix === undefined) return 'unrelated';
    return line.startsWith(valuePrefix) || !line.startsWith('AT') ? 'value' : 'unrelated';
  };
}

function statusError(command: string, status: string): ProtocolError {
  switch (status) {
    case 'AT_BUSY_ERROR':
      return new ProtocolError(`${command}: module busy`, 'busy');
    case 'AT_DUTYCYCLE_RESTRICTED':
      return new ProtocolError(`${command}: duty cycle restricted`, 'duty-cycle');
    case 'AT_NO_NETWORK_JOINED':
      return new ProtocolError(`${command}: not joined`, 'not-joined');
    default:
      return new ProtocolError(`${command}: ${status}`, 'rejected');
  }
}

export class Rui3Modem extends EventEmitter<LoraModemEvents> implements LoraModem {
  readonly dialect = 'rui3' as const;
  private readonly at: AtChannel;
  private readonly options: Required<Omit<Rui3Options, 'dr'>> & { dr?: number };
  private joined = false;
  private pendingTx: { resolve: (r: SendResult) => void; reject: (e: Error) => void; confirmed: boolean } | undefined;
  private currentDr = 0;

  constructor(
    stream: Duplex,
    private readonly clock: Clock,
    options: Rui3Options,
  ) {
    super();
    this.options = {
      adr: true,
      commandTimeoutMs: 3000,
      joinTimeoutMs: 120_000,
      joinBackoffMs: { first: 15_000, factor: 2, max: 900_000 },
      sendTimeoutMs: 20_000,
      ...options,
    };
    this.at = new AtChannel(stream, clock);
    this.at.on('line', (line) => this.onEvent(line));
    this.at.on('closed', (error) => {
      this.joined = false;
      this.pendingTx?.reject(error);
      this.pendingTx = undefined;
      this.emit('disconnected', error);
    });
  }

  private async run(text: string, name = text.split('=')[0]!, timeoutMs = this.options.commandTimeoutMs): Promise<string[]> {
    const command: AtCommand = { text, name, timeoutMs, match: statusMatcher(text.endsWith('=?') ? name : undefined) };
    const reply = await this.at.command(command);
    if (reply.final !== 'OK') throw statusError(name, reply.final);
    return reply.values;
  }

  private async query(name: string): Promise<string> {
    const values = await this.run(`${name}=?`, name);
    const line = values[values.length - 1];
    if (line === undefined) throw new ProtocolError(`${name}: no value in the reply`, 'malformed');
    return line.startsWith(`${name}=`) ? line.slice(name.length + 1) : line;
  }

  async open(): Promise<void> {
    await this.run('AT');
    const { credentials: c } = this.options;
    await this.run('AT+NWM=1');
    await this.run('AT+BAND=4');
    await this.run('AT+NJM=1');
    await this.run('AT+CLASS=A');
    await this.run(`AT+DEVEUI=${c.devEui.toUpperCase()}`, 'AT+DEVEUI');
    await this.run(`AT+APPEUI=${c.joinEui.toUpperCase()}`, 'AT+APPEUI');
    await this.run(`AT+APPKEY=${c.appKey.toUpperCase()}`, 'AT+APPKEY');
    await this.run('AT+CFM=0');
    await this.run(`AT+ADR=${this.options.adr ? 1 : 0}`);
    if (!this.options.adr && this.options.dr !== undefined) await this.run(`AT+DR=${this.options.dr}`);
    this.joined = (await this.query('AT+NJS')) === '1';
    log.info({ joined: this.joined }, 'modem configured');
  }

  async join(signal?: AbortSignal): Promise<void> {
    let backoff = this.options.joinBackoffMs.first;
    for (let attempt = 1; !this.joined; attempt++) {
      signal?.throwIfAborted();
      try {
        await this.joinOnce();
        return;
      } catch (error) {
        if (this.at.closed) throw error;
        log.warn({ attempt, retryInMs: backoff, error: (error as Error).message }, 'join failed, backing off');
      }
      await this.clock.sleep(backoff, signal);
      backoff = Math.min(this.options.joinBackoffMs.max, backoff * this.options.joinBackoffMs.factor);
    }
  }

  private joinOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => done(new TimeoutError('AT+JOIN', this.options.joinTimeoutMs)), this.options.joinTimeoutMs);
      const onLine = (line: string): void => {
        if (line === '+EVT:JOINED') done();
        else if (line.startsWith('+EVT:JOIN_FAILED') || line.startsWith('+EVT:JOIN FAILED')) {
          done(new ProtocolError(`join failed (${line.slice(5)})`, 'join-failed'));
        }
      };
      const done = (error?: Error): void => {
        this.clock.clearTimeout(timer);
        this.at.off('line', onLine);
        if (error) reject(error);
        else {
          this.joined = true;
          this.emit('joined');
          resolve();
        }
      };
      this.at.on('line', onLine);
      this.run('AT+JOIN=1:0:10:8').catch(done);
    });
  }

  async send(fPort: number, payload: Uint8Array, options: SendOptions = {}): Promise<SendResult> {
    if (!Number.isInteger(fPort) || fPort < 1 || fPort > 223) throw new RangeError(`fPort ${fPort} is outside 1..223`);
    const confirmed = options.confirmed ?? false;
    await this.run(`AT+CFM=${confirmed ? 1 : 0}`);
    const limit = maxPayload(this.currentDr);
    if (payload.length > limit) {
      throw new ProtocolError(`AT+SEND: ${payload.length} bytes exceed ${limit} at DR${this.currentDr}`, 'payload-too-long');
    }
    const result = new Promise<SendResult>((resolve, reject) => {
      this.pendingTx = { resolve, reject, confirmed };
    });
    const timer = this.clock.setTimeout(() => {
      this.pendingTx?.reject(new TimeoutError('AT+SEND (TX events)', this.options.sendTimeoutMs));
      this.pendingTx = undefined;
    }, this.options.sendTimeoutMs);
    try {
      await this.run(`AT+SEND=${fPort}:${Buffer.from(payload).toString('hex').toUpperCase()}`, 'AT+SEND');
    } catch (error) {
      this.clock.clearTimeout(timer);
      this.pendingTx = undefined;
      if (error instanceof ProtocolError && error.code === 'not-joined') this.joined = false;
      throw error;
    }
    try {
      return await result;
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  async status(): Promise<ModemStatus> {
    const joined = (await this.query('AT+NJS')) === '1';
    const dr = Number(await this.query('AT+DR'));
    if (!Number.isInteger(dr) || dr < 0 || dr > 15) throw new ProtocolError(`AT+DR: unexpected value`, 'malformed');
    this.joined = joined;
    this.currentDr = dr;
    return { joined, dr, maxPayload: maxPayload(dr) };
  }

  async close(): Promise<void> {
    this.removeAllListeners('downlink');
  }

  private onEvent(line: string): void {
    if (line.startsWith('+EVT:RX_')) {
      const downlink = parseRx(line);
      if (downlink) this.emit('downlink', downlink);
      else log.warn('malformed RX event from the modem');
      return;
    }
    const tx = this.pendingTx;
    if (!tx) return;
    if (line === '+EVT:TX_DONE' && !tx.confirmed) {
      this.pendingTx = undefined;
      tx.resolve({ delivered: true, dr: this.currentDr });
    } else if (line === '+EVT:SEND_CONFIRMED_OK' || line === '+EVT:SEND CONFIRMED OK') {
      this.pendingTx = undefined;
      tx.resolve({ delivered: true, dr: this.currentDr });
    } else if (line.startsWith('+EVT:SEND_CONFIRMED_FAILED') || line.startsWith('+EVT:SEND CONFIRMED FAILED')) {
      this.pendingTx = undefined;
      tx.resolve({ delivered: false, dr: this.currentDr });
    }
  }
}

/** `+EVT:RX_1:<rssi>:<snr>:UNICAST:<port>:<hex>` (also RX_2, RX_B, RX_C). */
export function parseRx(line: string): Downlink | undefined {
  const parts = line.slice(5).split(':');
  if (parts.length < 6) return undefined;
  const [, rssi, snr, , port, hex] = parts;
  const fPort = Number(port);
  if (!Number.isInteger(fPort) || fPort < 0 || fPort > 255) return undefined;
  if (hex === undefined || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(hex)) return undefined;
  return { fPort, payload: Buffer.from(hex, 'hex'), rssi: Number(rssi), snr: Number(snr) };
}
