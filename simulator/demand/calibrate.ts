/**
 * Command: derive the demand calibration from an APC file in the Geneva format.
 *
 *     npx tsx simulator/demand/calibrate.ts [--data path] [--json path]
 *
 * Shows progress while reading, prints what was read and rejected, and writes the calibration JSON
 * (default simulator/data/demand/geneva-calibration.json). Must never write a partial file: the
 * JSON is written only once the whole calibration is done.
 */
import { stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { round } from '../../common/stats.js';
import { calibrateDemand, DEFAULT_CALIBRATION_OPTIONS } from './calibration.js';
import { DEFAULT_CALIBRATION_PATH, type DemandCalibration } from './calibration-schema.js';
import { formatReplaySummary, readReplayTrips, type ReplayReadSummary } from './replay-reader.js';
import type { LineProgress } from './text-lines.js';

export const DEFAULT_DATA_PATH = '/work/shared/data/geneva-tram-apc-2012w40.csv.gz';

export interface CalibrationRun {
  calibration: DemandCalibration;
  summary: ReplayReadSummary;
  readMs: number;
  fitMs: number;
}

export interface CalibrationRunOptions {
  data: string;
  /** Where to write the JSON; nothing is written when absent. */
  out?: string;
  /** Time stamp for the provenance (ISO 8601). */
  calibratedAt: string;
  timeZone?: string;
  onProgress?: (p: LineProgress) => void;
}

export async function runCalibration(options: CalibrationRunOptions): Promise<CalibrationRun> {
  const timeZone = options.timeZone ?? DEFAULT_CALIBRATION_OPTIONS.timeZone;
  const t0 = performance.now();
  const { trips, summary } = await readReplayTrips(options.data, { timeZone, onProgress: options.onProgress });
  const t1 = performance.now();
  const notes = [
    'Geneva TPG trams, lines 12/14/15, 1-7 Oct 2012 (Urban Data Challenge 2013); weekdays Mon-Fri, weekend Sat-Sun; no public holidays in that week.',
    'Boardings per minute of headway at an average stop of one line and direction. Headways are between counted trams; a gap longer than 1.75 times the typical one of its line, direction, day type and half hour counts as that (an uncounted tram went between, or riders took another line); the first tram after a break of over 30 minutes gets the typical gap.',
    'Counts made consistent by clamping (load never negative, everyone alights at the last stop) before the alighting shape is taken.',
  ];
  const calibration = calibrateDemand(
    trips,
    {
      source: basename(options.data),
      sourceBytes: (await stat(options.data)).size,
      calibratedAt: options.calibratedAt,
      dates: summary.dates,
      lines: summary.lines,
      rowsRead: summary.rowsRead,
      rowsRejected: summary.rowsRejected,
      rejectedByReason: Object.fromEntries(Object.entries(summary.rejectedByReason).filter(([, n]) => n > 0)),
      tripsRead: summary.trips,
      notes,
    },
    { ...DEFAULT_CALIBRATION_OPTIONS, timeZone },
  );
  const t2 = performance.now();
  if (options.out) await writeFile(options.out, `${JSON.stringify(calibration, null, 1)}\n`);
  return { calibration, summary, readMs: t1 - t0, fitMs: t2 - t1 };
}

/** A short, human summary of a calibration, for the console and the docs. */
export function formatCalibration(c: DemandCalibration): string {
  const peak = (p: (number | null)[]): string =>
    p
      .map((v, h) => [v ?? 0, h] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 3)
      .map(([v, h]) => `${String(h).padStart(2, '0')}h ${v.toFixed(2)}`)
      .join(', ');
  const lines = [
    `rows used ${c.provenance.rowsUsed} of ${c.provenance.rowsRead} (rejected ${c.provenance.rowsRejected}), trips used ${c.provenance.tripsUsed}, too short ${c.provenance.tripsSkippedTooShort}, balance-fixed ${c.provenance.tripsBalanceFixed}`,
    `weekday mean boardings per stop event, top hours: ${peak(c.timeOfDay.weekday.meanBoardingsPerEvent)}`,
    `weekend mean boardings per stop event, top hours: ${peak(c.timeOfDay.weekend.meanBoardingsPerEvent)}`,
    `position intensity: ${c.position.boardingIntensity.map((v) => v.toFixed(2)).join(' ')}`,
    `alighting probability: ${c.position.alightingProbability.map((v) => v.toFixed(2)).join(' ')}`,
    `stop factors: ${Object.keys(c.stops.factors).length} stops, q05 ${c.stops.factorQuantiles[1]}, median ${c.stops.factorQuantiles[10]}, q95 ${c.stops.factorQuantiles[19]}, lognormal sigma ${c.stops.lognormalSigma}`,
    `dispersion var/mean = ${c.dispersion.intercept} + ${c.dispersion.slope} x mean (free fit over ${c.dispersion.classes.length} classes)`,
    `groups P(1..${c.groups.sizeTable.length}) = ${c.groups.sizeTable.map((p) => round(p, 3)).join(' ')}, mean ${c.groups.meanSize}, E[G2]/E[G] ${c.groups.clusterIndex} (from ${c.groups.events} quiet events); bursts up to ${c.groups.bursts.maxMeanGroups} groups (scale ${c.groups.bursts.scale}); rate noise cv2 ${c.groups.rateNoiseCv2}`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .name('calibrate')
    .description('Derive the demand calibration from an APC file (Geneva format)')
    .option('--data <path>', 'APC file, gzipped or plain CSV', DEFAULT_DATA_PATH)
    .option('--json <file>', 'calibration JSON to write', DEFAULT_CALIBRATION_PATH)
    .option('--time-zone <zone>', 'time zone of the file', DEFAULT_CALIBRATION_OPTIONS.timeZone)
    .parse();
  const opts = program.opts<{ data: string; json: string; timeZone: string }>();
  const started = performance.now();
  const progress = (p: LineProgress): void => {
    const pct = p.totalBytes > 0 ? ((100 * p.bytesRead) / p.totalBytes).toFixed(0) : '?';
    process.stderr.write(`\rreading ${opts.data}: ${pct}% of the file, ${p.lines} lines`);
  };
  const run = await runCalibration({ data: opts.data, out: opts.json, calibratedAt: new Date().toISOString(), timeZone: opts.timeZone, onProgress: progress });
  process.stderr.write('\n');
  console.log(formatReplaySummary(run.summary));
  console.log(formatCalibration(run.calibration));
  console.log(`read ${(run.readMs / 1000).toFixed(2)} s, fit ${(run.fitMs / 1000).toFixed(2)} s, total ${((performance.now() - started) / 1000).toFixed(2)} s; wrote ${opts.json}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
