/**
 * Microchip RN2483 (firmware 1.0.x): ASCII commands at 57600 8N1, CRLF lines. A command gets one
 * response (`ok`, an error word, or a value); `mac join` and `mac tx` get a second one later
 * (`accepted|denied`; `mac_tx_ok | mac_rx <port> <hex> | mac_err | invalid_data_len`). The module
 * enforces the duty cycle itself (`no_free_ch`). Speaks only this dialect; meaning lives above.
 * Must never log the AppKey or any payload at a level above debug.
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '../../common/clock.js';
import { ProtocolError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import type { LineVerdict } from './at-channel.js';
import { AtDialectDriver, checkUplink, joinRoundMs, type DialectOptions } from './dialect-common.js';
import type { Downlink, ModemStatus, SendOptions, SendResult } from './modem.js';
import { maxPayload } from '../../contracts/lora-region-eu868.js';

const log = moduleLogger('lora.rn2483');

export const RN2483_SERIAL = { baudRate: 57600, dataBits: 8, parity: 'none', stopBits: 1 } as const;

export type Rn2483Options = DialectOptions;

/**
 * Every first-response error word, and the ProtocolError code it becomes (the codes of
 * modem.ts, the same as RUI3's). `no_keys_init` is accepted as a spelling of `keys_not_init`.
 */
export const RN2483_ERRORS: Readonly<Record<string, string>> = Object.freeze({
  invalid_param: 'rejected',
  not_joined: 'not-joined',
  no_free_ch: 'duty-cycle',
  silent: 'rejected',
  frame_counter_err_rejoin_needed: 'not-joined',
  busy: 'busy',
  mac_paused: 'busy',
  invalid_data_len: 'payload-too-long',
  keys_not_init: 'rejected',
  no_keys_init: 'rejected',
});

function isErrorWord(line: string): boolean {
  return Object.hasOwn(RN2483_ERRORS, line);
}

/** The version line (`sys get ver`, and what the module prints after any reset). */
const BANNER = /^RN2483 \d+\.\d+\.\d+ /;

type ValueShape = 'status' | 'dr' | 'hex' | 'eui' | 'banner';

const VALUE_SHAPES: Record<Exclude<ValueShape, 'status'>, RegExp> = {
  dr: /^[0-7]$/,
  hex: /^[0-9A-Fa-f]{4,8}$/,
  eui: /^[0-9A-Fa-f]{16}$/,
  banner: BANNER,
};

/** A response is the one line of the expected shape, or an error word. */
function responseMatcher(shape: ValueShape): (line: string) => LineVerdict {
  return (line) => {
    if (isErrorWord(line)) return 'final';
    if (shape === 'status') return line === 'ok' ? 'final' : 'unrelated';
    return VALUE_SHAPES[shape].test(line) ? 'final' : 'unrelated';
  };
}

function responseError(command: string, word: string): ProtocolError {
  return new ProtocolError(`${command}: ${word}`, RN2483_ERRORS[word] ?? 'rejected');
}

export class Rn2483Modem extends AtDialectDriver {
  readonly dialect = 'rn2483' as const;
  /** Cleared when the module shows it lost its settings (a reset of its own, `keys_not_init`). */
  private configured = false;
  version = '';

  constructor(stream: Duplex, clock: Clock, options: Rn2483Options) {
    super(stream, clock, options, log);
  }

  /** One command and its first response; error words become ProtocolErrors. */
  private async run(text: string, name: string, shape: ValueShape = 'status', timeoutMs = this.options.commandTimeoutMs): Promise<string> {
    const reply = await this.at.command({ text, name, timeoutMs, match: responseMatcher(shape) });
    if (isErrorWord(reply.final)) {
      const error = responseError(name, reply.final);
      await this.afterRefusal(reply.final);
      throw error;
    }
    return reply.final;
  }

  /** What a refusal says of the module's state. */
  private async afterRefusal(word: string): Promise<void> {
    if (word === 'not_joined' || word === 'frame_counter_err_rejoin_needed') this.joined = false;
    if (word === 'keys_not_init' || word === 'no_keys_init') this.configured = false;
    // Nothing here pauses the MAC; if something did, resume it so the next attempt can go.
    if (word === 'mac_paused') await this.run('mac resume', 'mac resume').catch(() => undefined);
    if (word === 'silent') log.warn('the module is silenced (Silent Immediately); not overriding it');
  }

  async open(): Promise<void> {
    this.version = await this.run('sys get ver', 'sys get ver', 'banner');
    await this.configure();
    this.joined = await this.queryJoined();
    log.info({ joined: this.joined, firmware: this.version.split(' ')[1] }, 'modem configured');
  }

  private async configure(): Promise<void> {
    const { credentials: c } = this.options;
    this.joined = false;
    await this.run('mac reset 868', 'mac reset');
    await this.run(`mac set deveui ${c.devEui.toUpperCase()}`, 'mac set deveui');
    await this.run(`mac set appeui ${c.joinEui.toUpperCase()}`, 'mac set appeui');
    await this.run(`mac set appkey ${c.appKey.toUpperCase()}`, 'mac set appkey');
    await this.run(`mac set adr ${this.options.adr ? 'on' : 'off'}`, 'mac set adr');
    if (!this.options.adr && this.options.dr !== undefined) await this.run(`mac set dr ${this.options.dr}`, 'mac set dr');
    this.configured = true;
  }

  async readIdentity(): Promise<{ devEui: string; joinEui: string }> {
    const devEui = await this.run('mac get deveui', 'mac get deveui', 'eui');
    const joinEui = await this.run('mac get appeui', 'mac get appeui', 'eui');
    return { devEui: devEui.toLowerCase(), joinEui: joinEui.toLowerCase() };
  }

  /** `mac save`: DevEUI, AppEUI, AppKey and the MAC settings into the module's EEPROM (takes a moment). */
  async saveCredentials(): Promise<void> {
    await this.run('mac save', 'mac save', 'status', Math.max(this.options.commandTimeoutMs, 5000));
  }

  /** `mac get status`: bit 0 is the join state (4 hex digits in 1.0.1, 8 from 1.0.3). */
  private async queryJoined(): Promise<boolean> {
    const status = await this.run('mac get status', 'mac get status', 'hex');
    return (parseInt(status, 16) & 1) === 1;
  }

  private async queryDr(): Promise<number> {
    const dr = Number(await this.run('mac get dr', 'mac get dr', 'dr'));
    this.currentDr = dr;
    return dr;
  }

  /** One JoinRequest: `ok`, then `accepted` or `denied` once the join-accept windows have passed. */
  protected async joinRound(): Promise<void> {
    if (!this.configured) await this.configure();
    const timeoutMs = this.options.joinTimeoutMs ?? joinRoundMs(this.currentDr, 1, 0);
    await this.withSecondResponse(
      'mac join (accepted/denied)',
      timeoutMs,
      (line) => (line === 'accepted' ? true : line === 'denied' ? new ProtocolError('mac join: denied', 'join-failed') : undefined),
      () => this.run('mac join otaa', 'mac join'),
    );
    this.markJoined();
  }

  async send(fPort: number, payload: Uint8Array, options: SendOptions = {}): Promise<SendResult> {
    checkUplink('mac tx', fPort, payload, this.currentDr);
    const dr = this.currentDr;
    const hex = Buffer.from(payload).toString('hex').toUpperCase();
    try {
      return await this.withSecondResponse<SendResult>(
        'mac tx (second response)',
        this.options.sendTimeoutMs,
        (line) => {
          if (line === 'mac_tx_ok' || line.startsWith('mac_rx ')) return { delivered: true, dr };
          if (line === 'mac_err') return { delivered: false, dr };
          if (line === 'invalid_data_len') return new ProtocolError('mac tx: payload too long after the data rate fell', 'payload-too-long');
          return undefined;
        },
        () => this.run(`mac tx ${options.confirmed ? 'cnf' : 'uncnf'} ${fPort} ${hex}`, 'mac tx'),
      );
    } catch (error) {
      // The data rate fell under us: learn the new one, so the next limit check is right.
      if (error instanceof ProtocolError && error.code === 'payload-too-long') await this.queryDr().catch(() => undefined);
      throw error;
    }
  }

  async status(): Promise<ModemStatus> {
    const joined = await this.queryJoined();
    const dr = await this.queryDr();
    this.joined = joined;
    return { joined, dr, maxPayload: maxPayload(Math.min(dr, 5)) };
  }

  /** `sys reset`: the module restarts and prints its version; its MAC settings must be applied again. */
  async reset(): Promise<void> {
    this.joined = false;
    this.configured = false;
    this.version = await this.run('sys reset', 'sys reset', 'banner');
  }

  protected onUnsolicited(line: string): void {
    if (line.startsWith('mac_rx ')) {
      const downlink = parseMacRx(line);
      if (downlink) this.emit('downlink', downlink);
      else log.warn('malformed mac_rx from the modem');
      return;
    }
    if (BANNER.test(line)) {
      // Printed unasked: the module restarted on its own (brown-out, watchdog).
      log.warn('the modem restarted on its own; configuring it again before the next join');
      this.joined = false;
      this.configured = false;
      return;
    }
    if (SECOND_RESPONSES.has(line)) return;
    this.at.unrecognised(line);
  }
}

/** Second responses, consumed by the wait of the command that asked for them. */
const SECOND_RESPONSES = new Set(['accepted', 'denied', 'mac_tx_ok', 'mac_err', 'invalid_data_len']);

/** `mac_rx <port> <hex>` (port 1..223; the payload may be empty). */
export function parseMacRx(line: string): Downlink | undefined {
  const m = /^mac_rx (\d{1,3})(?: ([0-9A-Fa-f]*))?$/.exec(line);
  if (!m) return undefined;
  const fPort = Number(m[1]);
  const hex = m[2] ?? '';
  if (fPort < 1 || fPort > 223 || hex.length % 2 !== 0) return undefined;
  return { fPort, payload: Buffer.from(hex, 'hex') };
}
