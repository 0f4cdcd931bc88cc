/**
 * The one pseudonymisation module. Identifiers of people (camera track ids, radio addresses) are
 * replaced here, at the moment they are read, by a keyed hash: HMAC-SHA-256 under a random 32-byte
 * key, truncated, domain-separated by the kind of identifier. The key lives only in this object's
 * memory and is replaced by a fresh random key every day at a local hour (and on demand), so
 * pseudonyms link sightings within one epoch and never across epochs.
 *
 * Must never: write, log, export or fingerprint the key (there is deliberately no accessor, no
 * fingerprint and no serialisation); derive a new key from an old one (that would link epochs for
 * anyone holding an old key); log a raw identifier or a pseudonym together with its raw input.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { ConfigError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import type { PseudonymKind } from '../../contracts/pseudonymise.js';
import { assertTimeZone, localClock, localToEpochMs, parseServiceDate } from '../../common/time.js';

const log = moduleLogger('privacy.pseudonymiser');

const KEY_BYTES = 32;

export interface PseudonymiserOptions {
  /** IANA zone of the rotation hour (default Europe/Berlin). */
  timeZone?: string;
  /** Local hour (0..23) at which the key is replaced every day (default 3). */
  rotateAtHour?: number;
  /** Bytes of the HMAC kept (4..32, default 8): 8 bytes make an 11-character base64url pseudonym. */
  outputBytes?: number;
}

export class Pseudonymiser {
  // An ES private field: JSON.stringify, util.inspect and logging the object cannot reach it.
  #key: Buffer;
  private epochCounter = 0;
  private nextRotationAt: number;
  private timer: TimerHandle | undefined;
  private closed = false;
  private readonly timeZone: string;
  private readonly rotateAtHour: number;
  private readonly outputBytes: number;

  constructor(
    private readonly clock: Clock,
    options: PseudonymiserOptions = {},
  ) {
    this.timeZone = options.timeZone ?? 'Europe/Berlin';
    assertTimeZone(this.timeZone);
    this.rotateAtHour = options.rotateAtHour ?? 3;
    if (!Number.isInteger(this.rotateAtHour) || this.rotateAtHour < 0 || this.rotateAtHour > 23) {
      throw new ConfigError('rotateAtHour', 'must be a whole hour from 0 to 23');
    }
    this.outputBytes = options.outputBytes ?? 8;
    if (!Number.isInteger(this.outputBytes) || this.outputBytes < 4 || this.outputBytes > 32) {
      throw new ConfigError('outputBytes', 'must be a whole number from 4 to 32');
    }
    this.#key = randomBytes(KEY_BYTES);
    this.nextRotationAt = this.nextRotationAfter(this.clock.now());
    this.schedule();
  }

  /** How many times the key has been replaced since start; pseudonyms of different epochs never match. */
  get epoch(): number {
    return this.epochCounter;
  }

  /** When the key is next replaced (ms since the epoch). */
  get nextRotation(): number {
    return this.nextRotationAt;
  }

  /**
   * The pseudonym of `raw` in the current epoch: equal inputs of the same kind give equal
   * pseudonyms until the next rotation. Output is base64url, without the raw input in it.
   */
  pseudonymise(kind: PseudonymKind, raw: string): string {
    if (this.closed) throw new Error('pseudonymiser is closed');
    // A missed timer (suspended machine, clock step) must not stretch an epoch past its hour.
    if (this.clock.now() >= this.nextRotationAt) this.rotate('overdue');
    const kindBytes = Buffer.from(kind, 'utf8');
    if (kindBytes.length === 0 || kindBytes.length > 255) throw new RangeError('kind must be 1..255 bytes');
    // Length-prefixed kind: no (kind, raw) pair can collide with another by moving the boundary.
    const mac = createHmac('sha256', this.#key);
    mac.update(Buffer.from([kindBytes.length]));
    mac.update(kindBytes);
    mac.update(Buffer.from(raw, 'utf8'));
    return mac.digest().subarray(0, this.outputBytes).toString('base64url');
  }

  /** Replaces the key now (on demand, e.g. at the end of a service day); the old key is wiped. */
  rotate(reason = 'on demand'): void {
    if (this.closed) return;
    this.#key.fill(0);
    this.#key = randomBytes(KEY_BYTES);
    this.epochCounter++;
    this.nextRotationAt = this.nextRotationAfter(this.clock.now());
    this.schedule();
    log.info({ epoch: this.epochCounter, reason }, 'pseudonymisation key replaced');
  }

  /** Wipes the key and stops the daily timer; pseudonymise() throws afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.#key.fill(0);
  }

  private schedule(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.rotate('daily');
    }, this.nextRotationAt - this.clock.now());
  }

  /** The first instant after `t` at which the local clock shows the rotation hour (DST-safe). */
  private nextRotationAfter(t: number): number {
    const today = parseServiceDate(localClock(t, this.timeZone).date)!;
    for (let dayOffset = 0; dayOffset < 3; dayOffset++) {
      const at = localToEpochMs(today.year, today.month, today.day + dayOffset, this.rotateAtHour * 3600, this.timeZone);
      if (at > t) return at;
    }
    return t + 86_400_000;
  }
}
