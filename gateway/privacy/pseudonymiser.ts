/**
 * The one pseudonymisation module: every source that meets an identifier of a person (camera track
 * ids, radio addresses) passes it through here the moment it is read, and only the pseudonym goes
 * on. A keyed hash (HMAC-SHA-256, truncated to 64 bits), separated by kind, with a 32-byte key
 * from the OS's CSPRNG that lives only in this object's memory: never written, never logged, never
 * returned. The key is replaced at least daily (at a local hour outside service) and at every
 * start, so pseudonyms cannot be linked across days. Staff numbers are not hashed anywhere: the
 * vehicle-bus reader drops them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { localClock } from '../../common/time.js';
import { moduleLogger } from '../../common/log.js';

const log = moduleLogger('privacy.pseudonymiser');

export interface PseudonymiserOptions {
  timeZone: string;
  /** Local hour of the daily key rotation (3 = 03:00, outside service). */
  rotationHour: number;
}

export class Pseudonymiser {
  private key: Buffer = randomBytes(32);
  private timer: TimerHandle | undefined;
  /** Rotations since start: how many keys this process has used (not secret). */
  epoch = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: PseudonymiserOptions = { timeZone: 'Europe/Berlin', rotationHour: 3 },
  ) {
    this.scheduleRotation();
  }

  /** The pseudonym of `raw` for this kind of identifier, under the current key. */
  pseudonymise(kind: string, raw: string): string {
    return createHmac('sha256', this.key).update(kind).update('\0').update(raw).digest().subarray(0, 8).toString('base64url');
  }

  /** A new key now; the old one is overwritten and forgotten. */
  rotate(): void {
    this.key.fill(0);
    this.key = randomBytes(32);
    this.epoch++;
    log.info({ epoch: this.epoch }, 'pseudonymisation key rotated');
  }

  /** Stops the rotation timer (on shutdown). */
  close(): void {
    this.clock.clearTimeout(this.timer);
    this.key.fill(0);
  }

  private scheduleRotation(): void {
    const now = this.clock.now();
    const { secondsOfDay } = localClock(now, this.options.timeZone);
    let wait = (this.options.rotationHour * 3600 - secondsOfDay) * 1000;
    if (wait <= 0) wait += 86_400_000;
    // A DST change makes the day 23 or 25 h: the next rotation is computed afresh each time.
    this.timer = this.clock.setTimeout(() => {
      this.rotate();
      this.scheduleRotation();
    }, wait);
  }
}
