/**
 * Firmware emulation of a RAK3172 with RUI3: reads AT lines from its end of a byte stream and
 * answers byte for byte as the module does (value line `AT+XXX=v`, then a status line), joins and
 * transmits through the emulated Air with a real LoRaWAN MAC, and prints +EVT: lines. Refuses what
 * the module refuses: sends before joining, payloads over the data rate's limit, a second send
 * while one is on air, and sends inside the duty-cycle off time. The MAC, the air and the faults
 * are the shared core's (emulated-module.ts); this file holds only RUI3's commands and strings.
 */
import { EmulatedModule, type TxRefusal } from './emulated-module.js';

export type { EmulatedModemOptions } from './emulated-module.js';

type Reply = { values?: string[]; status: string };

const REFUSALS: Record<TxRefusal, string> = {
  'not-joined': 'AT_NO_NETWORK_JOINED',
  'payload-too-long': 'AT_PARAM_ERROR',
  busy: 'AT_BUSY_ERROR',
  // RUI3 says busy when the duty cycle holds it back.
  'duty-cycle': 'AT_BUSY_ERROR',
};

export class EmulatedRui3 extends EmulatedModule {
  private confirmed = false;
  private joining = false;
  private nwm = 1;
  private band = 4;
  private njm = 1;

  protected onPowerCycle(): void {
    this.joining = false;
  }

  protected isResetCommand(line: string): boolean {
    return line === 'ATZ';
  }

  protected onCommand(line: string): void {
    const reply = this.execute(line);
    for (const v of reply.values ?? []) this.write(`${v}\r\n`);
    this.write(`\r\n${reply.status}\r\n`);
  }

  private execute(line: string): Reply {
    if (line === 'AT') return { status: 'OK' };
    if (line === 'ATZ') {
      this.powerCycle();
      return { status: 'OK' };
    }
    const m = /^AT\+([A-Z0-9]+)(=(.*))?$/.exec(line);
    if (!m) return { status: 'AT_ERROR' };
    const name = m[1]!;
    const arg = m[3];
    const query = arg === '?';
    const value = (v: string | number): Reply => ({ values: [`AT+${name}=${v}`], status: 'OK' });
    switch (name) {
      case 'VER':
        return query ? value(this.options.firmwareVersion ?? '4.1.1_RAK3172-E') : { status: 'AT_PARAM_ERROR' };
      case 'NWM':
        return query ? value(this.nwm) : this.setInt(arg, 0, 1, (v) => (this.nwm = v));
      case 'BAND':
        return query ? value(this.band) : this.setInt(arg, 0, 12, (v) => (this.band = v));
      case 'NJM':
        return query ? value(this.njm) : this.setInt(arg, 0, 1, (v) => (this.njm = v));
      case 'CLASS':
        return query ? value('A') : arg === 'A' ? { status: 'OK' } : { status: 'AT_PARAM_ERROR' };
      case 'CFM':
        return query ? value(this.confirmed ? 1 : 0) : this.setInt(arg, 0, 1, (v) => (this.confirmed = v === 1));
      case 'ADR':
        return query ? value(this.mac.adr ? 1 : 0) : this.setInt(arg, 0, 1, (v) => (this.mac.adr = v === 1));
      case 'DR':
        return query ? value(this.mac.dr) : this.setInt(arg, 0, 5, (v) => (this.mac.dr = v));
      case 'NJS':
        return query ? value(this.mac.joined ? 1 : 0) : { status: 'AT_PARAM_ERROR' };
      case 'DEVEUI':
        return query ? value(this.mac.devEui.toUpperCase()) : this.setHex(arg, 8, (v) => (this.mac.devEui = v));
      case 'APPEUI':
        return query ? value(this.mac.joinEui.toUpperCase()) : this.setHex(arg, 8, (v) => (this.mac.joinEui = v));
      case 'APPKEY':
        // A real module never reads the key back.
        return query ? { status: 'AT_ERROR' } : this.setHex(arg, 16, (v) => (this.mac.appKey = v));
      case 'JOIN':
        return this.join(arg);
      case 'SEND':
        return this.send(arg);
      default:
        return { status: 'AT_COMMAND_NOT_FOUND' };
    }
  }

  private setInt(arg: string | undefined, min: number, max: number, set: (v: number) => void): Reply {
    const v = Number(arg);
    if (arg === undefined || !/^\d+$/.test(arg) || v < min || v > max) return { status: 'AT_PARAM_ERROR' };
    set(v);
    return { status: 'OK' };
  }

  private setHex(arg: string | undefined, bytes: number, set: (v: string) => void): Reply {
    if (!arg || !new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`).test(arg)) return { status: 'AT_PARAM_ERROR' };
    set(arg.toLowerCase());
    return { status: 'OK' };
  }

  private join(arg: string | undefined): Reply {
    const parts = (arg ?? '1:0:10:8').split(':').map(Number);
    if (parts.some((p) => !Number.isInteger(p)) || parts[0] !== 1) return { status: 'AT_PARAM_ERROR' };
    if (!this.mac.appKey || !this.mac.joinEui) return { status: 'AT_ERROR' };
    if (this.joining || this.clock.now() < this.busyUntil) return { status: 'AT_BUSY_ERROR' };
    const intervalMs = (parts[2] ?? 10) * 1000;
    const attempts = Math.max(1, parts[3] ?? 8);
    this.joining = true;
    this.mac.session = undefined;
    this.later(0, () => this.joinAttempt(1, attempts, intervalMs));
    return { status: 'OK' };
  }

  private joinAttempt(attempt: number, attempts: number, intervalMs: number): void {
    if (!this.joining) return;
    const { frequencyHz, waitMs } = this.mac.nextTransmission(this.clock.now());
    if (waitMs > 0) {
      this.later(waitMs, () => this.joinAttempt(attempt, attempts, intervalMs));
      return;
    }
    this.transmitJoinRequest(frequencyHz, (accepted) => {
      if (!this.joining) return;
      if (accepted) {
        this.joining = false;
        this.writeLine('+EVT:JOINED');
      } else if (attempt < attempts) {
        this.later(intervalMs, () => this.joinAttempt(attempt + 1, attempts, intervalMs));
      } else {
        this.joining = false;
        this.writeLine('+EVT:JOIN_FAILED_RX_TIMEOUT');
      }
    });
  }

  private send(arg: string | undefined): Reply {
    const m = /^(\d{1,3}):([0-9A-Fa-f]*)$/.exec(arg ?? '');
    if (!m) return { status: 'AT_PARAM_ERROR' };
    const fPort = Number(m[1]);
    const hex = m[2]!;
    if (fPort < 1 || fPort > 223 || hex.length % 2 !== 0) return { status: 'AT_PARAM_ERROR' };
    const confirmed = this.confirmed;
    const refusal = this.transmitUplink(fPort, Buffer.from(hex, 'hex'), confirmed, ({ acked, downlinks }) => {
      for (const r of downlinks) {
        const rssi = -60 - (r.payload.length % 40);
        this.writeLine(`+EVT:RX_${r.window === 'RX1' ? 1 : 2}:${rssi}:8:UNICAST:${r.fPort}:${r.payload.toString('hex').toUpperCase()}`);
      }
      if (confirmed) this.writeLine(acked ? '+EVT:SEND_CONFIRMED_OK' : '+EVT:SEND_CONFIRMED_FAILED');
      else this.writeLine('+EVT:TX_DONE');
    });
    return { status: refusal ? REFUSALS[refusal] : 'OK' };
  }
}
