/**
 * The radio presence source: turns what the BLE scanner and the WiFi probe parser hear into radio
 * sighting events. Each address is pseudonymised the moment it arrives (keyed hash, key in memory,
 * rotated at least daily) and then forgotten; weak signals (outside the saloon) are dropped, and a
 * device is reported at most once per interval, so a phone's chatter does not flood the pipeline.
 * Must never store, log or pass on a raw address.
 */
import type { Clock } from '../../common/clock.js';
import type { Pseudonymise } from '../../contracts/pseudonymise.js';
import type { EventSink } from '../../contracts/source-events.js';

export interface RadioSourceOptions {
  /** Sightings weaker than this (dBm) come from outside the vehicle and are dropped. */
  minRssi: number;
  /** Report one device at most once per this many ms. */
  repeatMs: number;
}

export const DEFAULT_RADIO_SOURCE: RadioSourceOptions = { minRssi: -85, repeatMs: 10_000 };

export class RadioSource {
  private readonly lastReported = new Map<string, number>();
  readonly counters = { heard: 0, weak: 0, repeats: 0, reported: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly sink: EventSink,
    private readonly pseudonymise: Pseudonymise,
    private readonly options: RadioSourceOptions = DEFAULT_RADIO_SOURCE,
  ) {}

  sighting(medium: 'ble' | 'wifi', address: string, rssi: number, at = this.clock.now()): void {
    this.counters.heard++;
    if (rssi < this.options.minRssi) {
      this.counters.weak++;
      return;
    }
    const pseudonym = this.pseudonymise('radio', address.toLowerCase());
    const last = this.lastReported.get(pseudonym);
    if (last !== undefined && at - last < this.options.repeatMs) {
      this.counters.repeats++;
      return;
    }
    this.lastReported.set(pseudonym, at);
    if (this.lastReported.size > 5000) this.forgetBefore(at - this.options.repeatMs);
    this.counters.reported++;
    this.sink.handle({ type: 'radio', at, pseudonym, rssi, medium });
  }

  private forgetBefore(t: number): void {
    for (const [p, at] of this.lastReported) if (at < t) this.lastReported.delete(p);
  }
}
