/**
 * Firmware emulation of a Microchip RN2483 (1.0.5): reads its ASCII commands from its end of a byte
 * stream and answers byte for byte as the module does: one response line per command (`ok`, an
 * error word, or a value), and for `mac join` and `mac tx` a second one once the receive windows
 * have closed (`accepted|denied`, `mac_tx_ok | mac_rx <port> <hex> | mac_err`). Refuses what the
 * module refuses (`not_joined`, `no_free_ch` inside the duty-cycle off time, `busy` while the radio
 * is in use, `invalid_data_len` over the data rate's limit, `keys_not_init`, `mac_paused`,
 * `silent`, `frame_counter_err_rejoin_needed`). The MAC, the air and the faults are the shared
 * core's (emulated-module.ts); this file holds only RN2483's commands and strings.
 */
import { EmulatedModule, type TxRefusal } from './emulated-module.js';

const REFUSALS: Record<TxRefusal, string> = {
  'not-joined': 'not_joined',
  'payload-too-long': 'invalid_data_len',
  busy: 'busy',
  'duty-cycle': 'no_free_ch',
};

/** `mac pause` answers how long the MAC may stay paused: here, as long as the module allows. */
const PAUSE_MAX_MS = '4294967245';

const HEX16 = /^[0-9A-Fa-f]{16}$/;
const HEX32 = /^[0-9A-Fa-f]{32}$/;

export class EmulatedRn2483 extends EmulatedModule {
  private joining = false;
  private paused = false;
  private silent = false;
  private keysSet = { appEui: false, appKey: false };
  /** What `mac save` put in the module's EEPROM: restored after a reset, as the module does. */
  private saved: { devEui: string; joinEui: string; appKey: string; adr: boolean; dr: number } | undefined;

  /** What the module prints after a reset and to `sys get ver`. */
  get banner(): string {
    return `RN2483 ${this.options.firmwareVersion ?? '1.0.5'} Oct 31 2018 15:06:52`;
  }

  /** The network told the module to stop transmitting (Silent Immediately); `mac forceENABLE` ends it. */
  silence(): void {
    this.silent = true;
  }

  /** A reset loses every setting not saved with `mac save`. */
  protected onPowerCycle(): void {
    this.macReset();
    this.paused = false;
    const saved = this.saved;
    if (saved) {
      Object.assign(this.mac, saved);
      this.keysSet = { appEui: saved.joinEui !== '', appKey: saved.appKey !== '' };
    }
  }

  protected isResetCommand(line: string): boolean {
    return line === 'sys reset';
  }

  protected onCommand(line: string): void {
    const words = line.split(' ');
    const reply = this.execute(words);
    if (reply !== undefined) this.writeLine(reply);
  }

  private execute(words: string[]): string | undefined {
    const [group, verb, what, ...rest] = words;
    if (group === 'sys') {
      if (verb === 'reset' && what === undefined) {
        this.powerCycle();
        return this.banner;
      }
      if (verb === 'get' && what === 'ver' && rest.length === 0) return this.banner;
      if (verb === 'get' && what === 'hweui' && rest.length === 0) return this.options.factoryDevEui.toUpperCase();
      return 'invalid_param';
    }
    if (group !== 'mac') return 'invalid_param';
    switch (verb) {
      case 'reset':
        return what === '868' || what === '433' ? this.macReset() : 'invalid_param';
      case 'set':
        return rest.length === 1 ? this.set(what, rest[0]!) : 'invalid_param';
      case 'get':
        return rest.length === 0 ? this.get(what) : 'invalid_param';
      case 'join':
        return what === 'otaa' && rest.length === 0 ? this.join() : what === 'abp' ? 'keys_not_init' : 'invalid_param';
      case 'tx':
        return this.tx(what, rest);
      case 'pause':
        if (this.joining || this.clock.now() < this.busyUntil) return '0';
        this.paused = true;
        return PAUSE_MAX_MS;
      case 'resume':
        this.paused = false;
        return 'ok';
      case 'forceENABLE':
        this.silent = false;
        return 'ok';
      case 'save':
        this.saved = { devEui: this.mac.devEui, joinEui: this.mac.joinEui, appKey: this.mac.appKey, adr: this.mac.adr, dr: this.mac.dr };
        return 'ok';
      default:
        return 'invalid_param';
    }
  }

  /** `mac reset`: the LoRaWAN stack back to its defaults; the session is gone, the DevEUI is the HWEUI. */
  private macReset(): string {
    this.mac.session = undefined;
    this.mac.devEui = this.options.factoryDevEui.toLowerCase();
    this.mac.joinEui = '';
    this.mac.appKey = '';
    this.mac.adr = false;
    this.mac.dr = 5;
    this.keysSet = { appEui: false, appKey: false };
    this.joining = false;
    return 'ok';
  }

  private set(what: string | undefined, value: string): string {
    switch (what) {
      case 'deveui':
        if (!HEX16.test(value)) return 'invalid_param';
        this.mac.devEui = value.toLowerCase();
        return 'ok';
      case 'appeui':
        if (!HEX16.test(value)) return 'invalid_param';
        this.mac.joinEui = value.toLowerCase();
        this.keysSet.appEui = true;
        return 'ok';
      case 'appkey':
        if (!HEX32.test(value)) return 'invalid_param';
        this.mac.appKey = value.toLowerCase();
        this.keysSet.appKey = true;
        return 'ok';
      case 'adr':
        if (value !== 'on' && value !== 'off') return 'invalid_param';
        this.mac.adr = value === 'on';
        return 'ok';
      case 'dr':
        // The module takes 0..7; the emulated EU868 plan has DR0..DR5.
        if (!/^[0-5]$/.test(value)) return 'invalid_param';
        this.mac.dr = Number(value);
        return 'ok';
      default:
        return 'invalid_param';
    }
  }

  private get(what: string | undefined): string {
    switch (what) {
      case 'dr':
        return String(this.mac.dr);
      case 'adr':
        return this.mac.adr ? 'on' : 'off';
      case 'deveui':
        return this.mac.devEui.toUpperCase();
      case 'appeui':
        return (this.mac.joinEui || '0000000000000000').toUpperCase();
      case 'status': {
        // Bit 0: joined; bits 1-3: MAC state (0 idle, 1 transmitting).
        const transmitting = this.joining || this.clock.now() < this.busyUntil;
        const bits = (this.mac.joined ? 1 : 0) | (transmitting ? 1 << 1 : 0);
        return bits.toString(16).padStart(8, '0');
      }
      default:
        // The AppKey, among others, cannot be read back.
        return 'invalid_param';
    }
  }

  private join(): string {
    if (!this.keysSet.appEui || !this.keysSet.appKey) return 'keys_not_init';
    if (this.paused) return 'mac_paused';
    if (this.silent) return 'silent';
    if (this.joining || this.clock.now() < this.busyUntil) return 'busy';
    const { frequencyHz, waitMs } = this.mac.nextTransmission(this.clock.now());
    if (waitMs > 0) return 'no_free_ch';
    this.joining = true;
    this.mac.session = undefined;
    this.transmitJoinRequest(frequencyHz, (accepted) => {
      this.joining = false;
      this.writeLine(accepted ? 'accepted' : 'denied');
    });
    return 'ok';
  }

  private tx(kind: string | undefined, rest: string[]): string {
    if ((kind !== 'cnf' && kind !== 'uncnf') || rest.length < 1 || rest.length > 2) return 'invalid_param';
    const [port, hex = ''] = rest;
    const fPort = Number(port);
    if (!/^\d{1,3}$/.test(port!) || fPort < 1 || fPort > 223 || !/^[0-9A-Fa-f]*$/.test(hex) || hex.length % 2 !== 0) return 'invalid_param';
    if (this.paused) return 'mac_paused';
    if (this.silent) return 'silent';
    if (this.joining) return 'busy';
    if (this.mac.session && this.mac.session.fCntUp > 0xfffffffe) return 'frame_counter_err_rejoin_needed';
    const confirmed = kind === 'cnf';
    const refusal = this.transmitUplink(fPort, Buffer.from(hex, 'hex'), confirmed, ({ acked, downlinks }) => {
      const first = downlinks[0];
      if (first) this.writeLine(`mac_rx ${first.fPort} ${first.payload.toString('hex').toUpperCase()}`);
      else if (confirmed && !acked) this.writeLine('mac_err');
      else this.writeLine('mac_tx_ok');
    });
    return refusal ? REFUSALS[refusal] : 'ok';
  }
}
