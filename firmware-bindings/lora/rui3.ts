/**
 * RAK3172 with RUI3 firmware: AT commands at 115200 baud, CRLF lines, a value line then a status
 * line, asynchronous +EVT: lines. Speaks only this dialect; meaning (reports, acks) lives above.
 * Must never log the AppKey or any payload at a level above debug.
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '../../common/clock.js';
import { ProtocolError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import type { AtCommand, LineVerdict } from './at-channel.js';
import { AtDialectDriver, checkUplink, joinRoundMs, type DialectOptions } from './dialect-common.js';
import { maxPayload } from '../../contracts/lora-region-eu868.js';
import type { Downlink, ModemStatus, SendOptions, SendResult } from './modem.js';

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

export type Rui3Options = DialectOptions;

/** Join and TX events (in the old spellings too), consumed by the wait of the command that caused them. */
const KNOWN_EVENT = /^\+EVT:(JOINED|JOIN[_ ]FAILED.*|TX_DONE|SEND[_ ]CONFIRMED[_ ](OK|FAILED.*))$/;

/** One AT+JOIN round: the module's own attempts and their spacing (AT+JOIN=1:0:10:8). */
const JOIN_ATTEMPTS = 8;
const JOIN_SPACING_MS = 10_000;

/** Time the module takes to boot after ATZ before it answers again. */
const BOOT_MS = 1000;

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

export class Rui3Modem extends AtDialectDriver {
  readonly dialect = 'rui3' as const;

  constructor(stream: Duplex, clock: Clock, options: Rui3Options) {
    super(stream, clock, options, log);
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

  /** One AT+JOIN round (the module's own 8 attempts 10 s apart), until +EVT:JOINED or JOIN_FAILED. */
  protected async joinRound(): Promise<void> {
    const timeoutMs = this.options.joinTimeoutMs ?? joinRoundMs(this.currentDr, JOIN_ATTEMPTS, JOIN_SPACING_MS);
    await this.withSecondResponse(
      'AT+JOIN (join event)',
      timeoutMs,
      (line) => {
        if (line === '+EVT:JOINED') return true;
        if (line.startsWith('+EVT:JOIN_FAILED') || line.startsWith('+EVT:JOIN FAILED')) return new ProtocolError(`join failed (${line.slice(5)})`, 'join-failed');
        return undefined;
      },
      () => this.run(`AT+JOIN=1:0:${JOIN_SPACING_MS / 1000}:${JOIN_ATTEMPTS}`, 'AT+JOIN'),
    );
    this.markJoined();
  }

  async send(fPort: number, payload: Uint8Array, options: SendOptions = {}): Promise<SendResult> {
    const confirmed = options.confirmed ?? false;
    checkUplink('AT+SEND', fPort, payload, this.currentDr);
    await this.run(`AT+CFM=${confirmed ? 1 : 0}`);
    const dr = this.currentDr;
    try {
      return await this.withSecondResponse<SendResult>(
        'AT+SEND (TX events)',
        this.options.sendTimeoutMs,
        (line) => {
          if (line === '+EVT:TX_DONE' && !confirmed) return { delivered: true, dr };
          if (line === '+EVT:SEND_CONFIRMED_OK' || line === '+EVT:SEND CONFIRMED OK') return { delivered: true, dr };
          if (line.startsWith('+EVT:SEND_CONFIRMED_FAILED') || line.startsWith('+EVT:SEND CONFIRMED FAILED')) return { delivered: false, dr };
          return undefined;
        },
        () => this.run(`AT+SEND=${fPort}:${Buffer.from(payload).toString('hex').toUpperCase()}`, 'AT+SEND'),
      );
    } catch (error) {
      throw await this.explainRefusal(error, payload.length);
    }
  }

  /**
   * RUI3 answers a payload over the limit with a bare AT_PARAM_ERROR. When the data rate fell under
   * us (ADR, the module's own back-off), that is what it means: say so, so the caller re-plans.
   */
  private async explainRefusal(error: unknown, length: number): Promise<unknown> {
    if (error instanceof ProtocolError && error.code === 'not-joined') this.joined = false;
    if (!(error instanceof ProtocolError && error.message.endsWith('AT_PARAM_ERROR'))) return error;
    const dr = await this.queryDr().catch(() => undefined);
    if (dr === undefined || length <= maxPayload(Math.min(dr, 5))) return error;
    return new ProtocolError(`AT+SEND: ${length} bytes exceed ${maxPayload(Math.min(dr, 5))} at DR${dr}`, 'payload-too-long');
  }

  private async queryDr(): Promise<number> {
    const dr = Number(await this.query('AT+DR'));
    if (!Number.isInteger(dr) || dr < 0 || dr > 15) throw new ProtocolError(`AT+DR: unexpected value`, 'malformed');
    this.currentDr = dr;
    return dr;
  }

  async status(): Promise<ModemStatus> {
    const joined = (await this.query('AT+NJS')) === '1';
    const dr = await this.queryDr();
    this.joined = joined;
    return { joined, dr, maxPayload: maxPayload(Math.min(dr, 5)) };
  }

  async readIdentity(): Promise<{ devEui: string; joinEui: string }> {
    return { devEui: (await this.query('AT+DEVEUI')).toLowerCase(), joinEui: (await this.query('AT+APPEUI')).toLowerCase() };
  }

  /** RUI3 writes AT+DEVEUI, AT+APPEUI and AT+APPKEY to flash as they are set: nothing more to do. */
  async saveCredentials(): Promise<void> {}

  /**
   * ATZ restarts the MCU: firmware versions differ in whether an OK comes first, so the reset is
   * written bare and the module is asked with AT once it has had time to boot.
   */
  async reset(): Promise<void> {
    this.joined = false;
    this.at.writeLine('ATZ');
    await this.clock.sleep(BOOT_MS);
    await this.run('AT');
  }

  protected onUnsolicited(line: string): void {
    if (line.startsWith('+EVT:RX_')) {
      const downlink = parseRx(line);
      if (downlink) this.emit('downlink', downlink);
      else log.warn('malformed RX event from the modem');
      return;
    }
    // TX and join events are consumed by the wait of the command that caused them; a late OK or a
    // status after a timeout, a boot banner, or half a line is counted and skipped.
    if (KNOWN_EVENT.test(line) || STATUSES.has(line)) return;
    this.at.unrecognised(line);
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
