/**
 * Devices on board from radio pseudonyms: a device heard in the window before the last departure
 * and again in the window since is very likely travelling with the tram. Phones change their
 * advertised addresses every few minutes, so one traveller may count as several short-lived
 * devices and many are not heard at all: this is a feature for the estimator, not a head count.
 * Keeps pseudonyms for two windows only, then forgets them.
 */

export interface RadioPresenceFeatures {
  /** Devices heard both before and since the last departure. */
  persistent: number;
  /** Devices heard since the last departure (on board or waiting at the stop). */
  current: number;
}

export class RadioPresence {
  private previous = new Set<string>();
  private current = new Set<string>();

  onSighting(pseudonym: string): void {
    this.current.add(pseudonym);
  }

  /** At each departure: the features for this stop, then the windows roll on. */
  onDeparture(): RadioPresenceFeatures {
    let persistent = 0;
    for (const p of this.current) if (this.previous.has(p)) persistent++;
    const features = { persistent, current: this.current.size };
    this.previous = this.current;
    this.current = new Set();
    return features;
  }

  /** At a terminus the saloon empties: nobody carries over. */
  reset(): void {
    this.previous = new Set();
    this.current = new Set();
  }
}
