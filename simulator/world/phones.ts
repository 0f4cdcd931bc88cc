/**
 * The phones passengers carry, as a radio scanner hears them: most passengers carry one that
 * advertises (BLE) or probes (WiFi) with a randomised address that changes every few minutes;
 * people waiting at a stop and passers-by are heard too, more faintly. Produces raw sightings for
 * the gateway's radio source, which must pseudonymise them; nothing here is a real address.
 */
import type { Rng } from '../../common/random.js';

export interface PhoneParams {
  /** Share of passengers whose phone is heard at all. */
  carryShare: number;
  /** Mean time between address changes (ms). */
  rotationMeanMs: number;
  /** Share of phones heard in one window (a stop's dwell or a run between stops). */
  heardShare: number;
  /** People around the stop who do not board (waiting for another line, passing by), heard per stop. */
  bystandersPerStop: number;
  /** Mean signal of a phone on board and of a bystander (dBm). */
  onBoardRssi: number;
  bystanderRssi: number;
}

export const DEFAULT_PHONES: PhoneParams = {
  carryShare: 0.7,
  rotationMeanMs: 15 * 60_000,
  heardShare: 0.85,
  bystandersPerStop: 4,
  onBoardRssi: -62,
  bystanderRssi: -84,
};

export interface RawSighting {
  medium: 'ble' | 'wifi';
  address: string;
  rssi: number;
  at: number;
}

interface Phone {
  address: string;
  medium: 'ble' | 'wifi';
  rotatesAt: number;
}

export class PhoneCrowd {
  private readonly phones: Phone[] = [];
  private passengers = 0;
  /** Every address ever made, for tests that prove none leaves the vehicle. */
  readonly issuedAddresses: string[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly params: PhoneParams = DEFAULT_PHONES,
    private readonly keepIssued = false,
  ) {}

  private address(medium: 'ble' | 'wifi'): string {
    const bytes = Array.from({ length: 6 }, () => this.rng.int(0, 255));
    // BLE random resolvable addresses have the top bits 01; randomised WiFi MACs are locally administered.
    if (medium === 'ble') bytes[0] = (bytes[0]! & 0x3f) | 0x40;
    else bytes[0] = (bytes[0]! & 0xfc) | 0x02;
    const text = bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
    if (this.keepIssued) this.issuedAddresses.push(text);
    return text;
  }

  private newPhone(at: number): Phone {
    const medium = this.rng.chance(0.6) ? 'ble' : 'wifi';
    return { medium, address: this.address(medium), rotatesAt: at + this.rng.exponential(1 / this.params.rotationMeanMs) };
  }

  board(count: number, at: number): void {
    this.passengers += count;
    for (let i = 0; i < count; i++) if (this.rng.chance(this.params.carryShare)) this.phones.push(this.newPhone(at));
  }

  alight(count: number): void {
    if (count <= 0 || this.passengers <= 0) return;
    const share = Math.min(1, count / this.passengers);
    for (let i = this.phones.length - 1; i >= 0; i--) if (this.rng.chance(share)) this.phones.splice(i, 1);
    this.passengers = Math.max(0, this.passengers - count);
    if (this.passengers === 0) this.phones.length = 0;
  }

  /** What the scanner hears in one window ending at `at`; `atStop` adds bystanders. */
  hear(at: number, atStop: boolean): RawSighting[] {
    const out: RawSighting[] = [];
    for (const phone of this.phones) {
      while (phone.rotatesAt <= at) {
        phone.address = this.address(phone.medium);
        phone.rotatesAt += this.rng.exponential(1 / this.params.rotationMeanMs);
      }
      if (this.rng.chance(this.params.heardShare)) {
        out.push({ medium: phone.medium, address: phone.address, rssi: Math.round(this.rng.normal(this.params.onBoardRssi, 6)), at });
      }
    }
    if (atStop) {
      const n = this.rng.poisson(this.params.bystandersPerStop);
      for (let i = 0; i < n; i++) {
        const medium = this.rng.chance(0.6) ? 'ble' : 'wifi';
        out.push({ medium, address: this.address(medium), rssi: Math.round(this.rng.normal(this.params.bystanderRssi, 6)), at });
      }
    }
    return out;
  }
}
