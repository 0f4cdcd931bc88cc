/**
 * The LoRaWAN 1.0.x end-device MAC inside an emulated modem: OTAA join, session keys, frame
 * counters, real PHYPayloads with lora-packet (MIC and encryption), and the module's own
 * duty-cycle bookkeeping per sub-band. Shared by every emulated AT dialect.
 */
import { lora } from './lora-packet.js';
import type { Rng } from '../../common/random.js';
import { offTimeMs, uplinkTimeOnAirMs } from '../../firmware-bindings/lora/airtime.js';
import { EU868_DEFAULT_CHANNELS_HZ, subBandOf } from '../../contracts/lora-region-eu868.js';
import { hexBytes } from './keys.js';

export interface Session {
  devAddr: Buffer;
  nwkSKey: Buffer;
  appSKey: Buffer;
  fCntUp: number;
  /** Last FCntDown accepted; -1 before the first downlink. */
  fCntDown: number;
}

export interface ReceivedDownlink {
  fPort: number | undefined;
  payload: Buffer;
  ack: boolean;
}

export class MacDevice {
  devEui = '';
  joinEui = '';
  appKey = '';
  session: Session | undefined;
  dr = 5;
  adr = true;
  private devNonce: number;
  /** Earliest time each sub-band may carry the next transmission. */
  private readonly bandFreeAt = new Map<string, number>();
  dutyCycleEnforced = true;

  constructor(private readonly rng: Rng) {
    this.devNonce = rng.int(0, 0xffff);
  }

  get joined(): boolean {
    return this.session !== undefined;
  }

  private identity(): { devEui: Buffer; joinEui: Buffer; appKey: Buffer } {
    return {
      devEui: hexBytes(this.devEui, 8, 'DevEUI'),
      joinEui: hexBytes(this.joinEui, 8, 'JoinEUI'),
      appKey: hexBytes(this.appKey, 16, 'AppKey'),
    };
  }

  buildJoinRequest(): { phy: Buffer; devNonce: Buffer } {
    const id = this.identity();
    this.devNonce = (this.devNonce + 1) & 0xffff;
    const devNonce = Buffer.from([this.devNonce >> 8, this.devNonce & 0xff]);
    const packet = lora.fromFields(
      { MType: 'Join Request', AppEUI: id.joinEui, DevEUI: id.devEui, DevNonce: devNonce },
      undefined,
      undefined,
      id.appKey,
    );
    return { phy: packet.getPHYPayload()!, devNonce };
  }

  /** Accepts a JoinAccept for the last JoinRequest; false if it is not for us or fails its MIC. */
  acceptJoin(phy: Buffer, devNonce: Buffer): boolean {
    const id = this.identity();
    try {
      const wire = lora.fromWire(phy);
      if (!wire.isJoinAcceptMessage()) return false;
      const plain = lora.fromWire(lora.decryptJoinAccept(wire, id.appKey));
      const b = plain.getBuffers();
      if (!b.MIC || !lora.calculateMIC(plain, undefined, id.appKey).equals(b.MIC)) return false;
      const keys = lora.generateSessionKeys(id.appKey, b.NetID!, b.AppNonce!, devNonce);
      this.session = { devAddr: Buffer.from(b.DevAddr!), nwkSKey: keys.NwkSKey, appSKey: keys.AppSKey, fCntUp: 0, fCntDown: -1 };
      return true;
    } catch {
      return false;
    }
  }

  buildUplink(fPort: number, payload: Buffer, confirmed: boolean): Buffer {
    const s = this.session;
    if (!s) throw new Error('not joined');
    const packet = lora.fromFields(
      {
        MType: confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up',
        DevAddr: s.devAddr,
        FCtrl: { ADR: this.adr, ACK: false, ADRACKReq: false, FPending: false },
        FCnt: s.fCntUp & 0xffff,
        FPort: fPort,
        payload,
      },
      s.appSKey,
      s.nwkSKey,
      undefined,
      fcntMsb(s.fCntUp),
    );
    s.fCntUp++;
    return packet.getPHYPayload()!;
  }

  /** A downlink addressed to this session, MIC checked and decrypted; undefined otherwise. */
  parseDownlink(phy: Buffer): ReceivedDownlink | undefined {
    const s = this.session;
    if (!s) return undefined;
    try {
      const packet = lora.fromWire(phy);
      if (!packet.isDataMessage() || packet.getDir() !== 'down') return undefined;
      if (!packet.DevAddr || !packet.DevAddr.equals(s.devAddr)) return undefined;
      const fCnt16 = packet.getFCnt() ?? 0;
      const full = reconstructFCnt(s.fCntDown + 1, fCnt16);
      if (!lora.verifyMIC(packet, s.nwkSKey, undefined, fcntMsb(full))) return undefined;
      if (full <= s.fCntDown) return undefined;
      s.fCntDown = full;
      const fPort = packet.getFPort() ?? undefined;
      const payload = packet.FRMPayload && packet.FRMPayload.length > 0 ? lora.decrypt(packet, s.appSKey, s.nwkSKey, fcntMsb(full)) : Buffer.alloc(0);
      return { fPort, payload, ack: packet.getFCtrlACK() ?? false };
    } catch {
      return undefined;
    }
  }

  /** Picks a channel and tells how long the module must still wait before it may transmit. */
  nextTransmission(now: number): { frequencyHz: number; waitMs: number } {
    const frequencyHz = this.rng.pick(EU868_DEFAULT_CHANNELS_HZ);
    const freeAt = this.bandFreeAt.get(subBandOf(frequencyHz).name) ?? 0;
    return { frequencyHz, waitMs: this.dutyCycleEnforced ? Math.max(0, freeAt - now) : 0 };
  }

  recordTransmission(now: number, frequencyHz: number, toaMs: number): void {
    const band = subBandOf(frequencyHz);
    this.bandFreeAt.set(band.name, now + toaMs + offTimeMs(toaMs, band.dutyCycle));
  }

  uplinkToaMs(payloadBytes: number): number {
    return uplinkTimeOnAirMs(payloadBytes, this.dr);
  }
}

export function fcntMsb(fCnt: number): Buffer {
  return Buffer.from([(fCnt >>> 24) & 0xff, (fCnt >>> 16) & 0xff]);
}

/** The full 32-bit counter nearest above `expected` whose low 16 bits are `low16`. */
export function reconstructFCnt(expected: number, low16: number): number {
  const base = Math.max(0, expected) & ~0xffff;
  let candidate = base | low16;
  if (candidate < expected - 0x8000) candidate += 0x10000;
  return candidate;
}
