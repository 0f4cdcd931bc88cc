/**
 * What an overhead camera counter makes of the people on board: accurate when the saloon is sparse,
 * undercounting as density grows (heads merge), with noise. The undercount rises linearly with the
 * load factor beyond `onset` and reaches `crowdUndercount` at design capacity.
 */
import type { Rng } from '../../common/random.js';
import { driftScale, type SensorDrift } from './drift.js';

export interface CameraParams {
  /** Load factor (load / capacity) below which heads hardly merge. */
  onset: number;
  /** Share of heads missed at design capacity. */
  crowdUndercount: number;
  /** Standard deviation of the count noise, passengers, plus a share of the count. */
  noiseSd: number;
  noiseShare: number;
  /** Undercount and noise drifting during the day; none: constant. */
  drift?: SensorDrift;
}

export const DEFAULT_CAMERA: CameraParams = { onset: 0.3, crowdUndercount: 0.22, noiseSd: 1, noiseShare: 0.04 };

export class CameraModel {
  constructor(
    private readonly params: CameraParams,
    private readonly rng: Rng,
  ) {}

  /** The head count and confidence the camera reports for `onBoard` true passengers (at `at`, for drift). */
  count(onBoard: number, capacity: number, at?: number): { heads: number; confidence: number } {
    const scale = at === undefined ? 1 : driftScale(this.params.drift, at);
    const loadFactor = onBoard / capacity;
    const over = Math.max(0, loadFactor - this.params.onset) / Math.max(1e-9, 1 - this.params.onset);
    const undercount = Math.min(0.6, scale * this.params.crowdUndercount * over);
    const expected = onBoard * (1 - undercount);
    const noisy = this.rng.normal(expected, scale * (this.params.noiseSd + this.params.noiseShare * expected));
    const confidence = Math.max(0.2, Math.min(0.99, 0.97 - 0.5 * undercount - this.rng.uniform(0, 0.05)));
    return { heads: Math.max(0, Math.round(noisy)), confidence: Math.round(confidence * 100) / 100 };
  }
}
