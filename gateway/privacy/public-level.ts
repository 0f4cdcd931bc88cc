/**
 * The occupancy level meant for passengers, anonymised at source (the Waltti-APC approach): the
 * boundaries between levels are not fixed but drawn anew for every departure, around the vehicle
 * type's thresholds, from a secret per-device seed. Someone who sees the published level change
 * cannot tell whether one more person boarded or the boundary moved; over many departures the level
 * still says how full the tram is. The coarse percentage is rounded the same way (a random
 * rounding point per departure). Planning data (exact counts) never go through here: they travel
 * only in stop reports, to the operator.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Level, levelFor, type LevelThresholds } from '../../contracts/occupancy-levels.js';

export interface PublicLevelOptions {
  thresholds: LevelThresholds;
  capacity: number;
  /**
   * Half-width of the band each boundary is drawn from, as a share of the threshold (at least
   * `minSpread` passengers), e.g. 0.2: a "mittel" boundary of 25 moves within 20..30.
   */
  spread: number;
  minSpread: number;
}

export interface PublicLevel {
  level: Level;
  /** Share of design capacity in steps of 10 % (0..30). */
  occupancyTenths: number;
}

export const DEFAULT_SPREAD = { spread: 0.2, minSpread: 3 };

export class PublicLevelPolicy {
  private readonly seed: Buffer;
  private departures = 0;

  /** `seed`: 32 secret bytes kept on the device (secrets file); a fresh random one if absent. */
  constructor(
    private readonly options: PublicLevelOptions,
    seed?: Buffer,
  ) {
    if (seed !== undefined && seed.length < 16) throw new RangeError('the level seed needs at least 16 bytes');
    this.seed = seed ?? randomBytes(32);
  }

  /** Uniform numbers in [0, 1) for this departure, from the secret seed: not guessable, not stored. */
  private draws(departure: number): [number, number, number] {
    const digest = createHmac('sha256', this.seed).update(`level/${departure}/${this.departures++}`).digest();
    const u = (i: number) => digest.readUInt32BE(i * 4) / 0x1_0000_0000;
    return [u(0), u(1), u(2)];
  }

  /** Called once per departure with the estimated load. */
  publish(load: number, departure: number): PublicLevel {
    const { thresholds, capacity, spread, minSpread } = this.options;
    const [a, b, c] = this.draws(departure);
    const jitter = (threshold: number, u: number) => threshold + (2 * u - 1) * Math.max(minSpread, spread * threshold);
    const medium = jitter(thresholds.medium, a);
    const high = Math.max(medium + 1, jitter(thresholds.high, b));
    const level = load <= 0 ? Level.LEVEL_LOW : levelFor(load, { medium, high });
    // Random rounding point: a step of 10 % is crossed at a different load every departure.
    const tenths = Math.min(30, Math.max(0, Math.floor((load / capacity) * 10 + c)));
    return { level, occupancyTenths: tenths };
  }
}
