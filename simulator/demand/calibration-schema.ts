/**
 * The demand calibration file: its schema (zod), its TypeScript type, and the loader that checks it
 * once at the edge. The calibration script writes it, the demand model reads it. Must never accept
 * a file whose arrays do not fit together: a bad file is refused with the field named.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../../common/errors.js';

export const CALIBRATION_FORMAT = 'havag-demand-calibration';
export const CALIBRATION_METHOD_VERSION = 1;
export const DEFAULT_CALIBRATION_PATH = fileURLToPath(new URL('../data/demand/geneva-calibration.json', import.meta.url));

const count = z.number().int().nonnegative();
const rate = z.number().nonnegative();

const DayProfileSchema = z.strictObject({
  /** Boarding passengers arriving per minute at an average stop of one line and direction, per bin. */
  ratePerMinute: z.array(rate),
  /** ratePerMinute divided by its mean over the bins with service (mean 1). */
  profile: z.array(rate),
  /** All boardings counted in the bin divided by their mean over bins with service (mean 1). */
  boardingsProfile: z.array(rate),
  /** Stop events (a tram at a stop) per bin, and those with a usable headway. */
  events: z.array(count),
  eventsWithHeadway: z.array(count),
  /** Median time between trams of one line and direction at a stop, minutes (null: no data). */
  medianHeadwayMinutes: z.array(z.number().positive().nullable()),
  /** Mean boardings per stop event in each clock hour 0..23 (null: no service). */
  meanBoardingsPerEvent: z.array(z.number().nonnegative().nullable()).length(24),
});

export const DemandCalibrationSchema = z
  .strictObject({
    format: z.literal(CALIBRATION_FORMAT),
    methodVersion: z.number().int().positive(),
    provenance: z.strictObject({
      source: z.string(),
      sourceBytes: count,
      calibratedAt: z.string(),
      timeZone: z.string(),
      dates: z.array(z.string()),
      lines: z.array(z.string()),
      rowsRead: count,
      rowsUsed: count,
      rowsRejected: count,
      rejectedByReason: z.record(z.string(), count),
      tripsRead: count,
      tripsUsed: count,
      tripsSkippedTooShort: count,
      tripsBalanceFixed: count,
      notes: z.array(z.string()),
    }),
    serviceDayStartHour: z.number().min(0).max(12),
    timeOfDay: z.strictObject({
      binMinutes: z.number().int().positive(),
      weekday: DayProfileSchema,
      weekend: DayProfileSchema,
    }),
    exposure: z.strictObject({
      /** Longer waits count as this much: nobody waits an hour for a tram. */
      maxWaitMinutes: z.number().positive(),
      /** A gap above this multiple of the cell median means a tram without counters went between. */
      missingTramFactor: z.number().min(1),
    }),
    position: z.strictObject({
      /** Bin 0 is the first stop, the last bin the last stop, those between split (0, 1) evenly. */
      interiorBins: z.number().int().positive(),
      /** Boarding intensity relative to the mean stop event (event-weighted mean 1). */
      boardingIntensity: z.array(rate),
      /** Share of all boardings counted in the bin (sums to 1). */
      boardingShare: z.array(rate),
      /** Share of those on board on arrival who alight. */
      alightingProbability: z.array(z.number().min(0).max(1)),
      events: z.array(count),
    }),
    stops: z.strictObject({
      minEvents: count,
      /** Per-stop boarding factor beyond time and position: quantiles at 0, 0.05, ..., 1 (mean 1). */
      factorQuantiles: z.array(z.number().positive()).length(21),
      /** Lognormal fit of the factors: sd of their logarithm. */
      lognormalSigma: z.number().nonnegative(),
      /** The factor of each stop id in the source data. */
      factors: z.record(z.string(), z.number().positive()),
    }),
    dispersion: z.strictObject({
      /** Var/mean of boardings = intercept + slope × mean, fitted over classes of expected mean. */
      intercept: z.number().nonnegative(),
      slope: z.number().nonnegative(),
      classes: z.array(z.strictObject({ meanExpected: rate, meanObserved: rate, varianceToMean: rate, events: count })),
    }),
    groups: z.strictObject({
      method: z.literal('quiet-events-panjer'),
      /** Probability of a group of 1..maxSize persons (sums to 1). */
      sizeTable: z.array(z.number().min(0).max(1)).min(1),
      meanSize: z.number().min(1),
      /** E[G²]/E[G]: the var/mean that groups alone give. */
      clusterIndex: z.number().min(1),
      /** Events the table was read from, and the expected mean below which an event counted as quiet. */
      events: count,
      quietBelow: z.number().positive(),
      /**
       * Bursts: groups arriving together, a geometric number of them with mean
       * 1 + (maxMeanGroups − 1)·(1 − exp(−expected / scale)) at a stop event with `expected` boardings.
       */
      bursts: z.strictObject({ maxMeanGroups: z.number().min(1), scale: z.number().positive() }),
      /** Between-visit rate variation (squared coefficient of variation of a gamma multiplier). */
      rateNoiseCv2: z.number().nonnegative(),
    }),
  })
  .superRefine((c, ctx) => {
    const bins = 1440 / c.timeOfDay.binMinutes;
    if (!Number.isInteger(bins)) ctx.addIssue({ code: 'custom', path: ['timeOfDay', 'binMinutes'], message: 'must divide a day' });
    for (const day of ['weekday', 'weekend'] as const) {
      const p = c.timeOfDay[day];
      for (const key of ['ratePerMinute', 'profile', 'boardingsProfile', 'events', 'eventsWithHeadway', 'medianHeadwayMinutes'] as const) {
        if (p[key].length !== bins) ctx.addIssue({ code: 'custom', path: ['timeOfDay', day, key], message: `expected ${bins} bins` });
      }
    }
    const positions = c.position.interiorBins + 2;
    for (const key of ['boardingIntensity', 'boardingShare', 'alightingProbability', 'events'] as const) {
      if (c.position[key].length !== positions) ctx.addIssue({ code: 'custom', path: ['position', key], message: `expected ${positions} bins` });
    }
    const total = c.groups.sizeTable.reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-3) ctx.addIssue({ code: 'custom', path: ['groups', 'sizeTable'], message: `sums to ${total}, not 1` });
  });

export type DemandCalibration = z.infer<typeof DemandCalibrationSchema>;
export type DayProfile = z.infer<typeof DayProfileSchema>;

export function parseDemandCalibration(raw: unknown, source = 'calibration'): DemandCalibration {
  const parsed = DemandCalibrationSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${source}: ${issue.path.join('.')}`, issue.message);
  }
  return parsed.data;
}

export function loadDemandCalibration(path = DEFAULT_CALIBRATION_PATH): DemandCalibration {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, `cannot read: ${(error as Error).message}`);
  }
  return parseDemandCalibration(raw, path);
}

/** Bin of a stop along its trip: 0 first stop, interiorBins + 1 last stop, evenly between. */
export function positionBin(stopIndex: number, stopCount: number, interiorBins: number): number {
  if (stopIndex <= 0) return 0;
  if (stopIndex >= stopCount - 1) return interiorBins + 1;
  const x = stopIndex / (stopCount - 1);
  return 1 + Math.min(interiorBins - 1, Math.floor(x * interiorBins));
}

/** Bin of a clock time (seconds after local midnight). */
export function timeBin(secondsOfDay: number, binMinutes: number): number {
  const bins = 1440 / binMinutes;
  return Math.min(bins - 1, Math.max(0, Math.floor(secondsOfDay / (binMinutes * 60))));
}
