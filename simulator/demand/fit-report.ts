/**
 * Command: show how well the calibrated demand model fits the counts it was calibrated on.
 *
 *     npx tsx simulator/demand/fit-report.ts [--data path] [--calibration path] [--svg path] [--seed n]
 *
 * Replays the source trips (same stops, times, headways) through the model, prints a table (time-of-
 * day profile, shape along the trip, variance/mean, daily totals), then the same for two held-out
 * days calibrated without them, and writes the figure (default docs/figures/demand-fit.svg). Must
 * never change the calibration file.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { DEFAULT_DATA_PATH } from './calibrate.js';
import { calibrateDemand, DEFAULT_CALIBRATION_OPTIONS } from './calibration.js';
import { DEFAULT_CALIBRATION_PATH, loadDemandCalibration, type DemandCalibration } from './calibration-schema.js';
import { compareFit, type FitReport } from './fit-compare.js';
import { renderFitSvg } from './fit-svg.js';
import { readReplayTrips } from './replay-reader.js';
import type { ReplayTrip } from './replay-trip.js';

export const DEFAULT_FIGURE_PATH = fileURLToPath(new URL('../../docs/figures/demand-fit.svg', import.meta.url));

const f = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const signed = (v: number, digits = 1): string => {
  const text = Math.abs(v).toFixed(digits);
  return Number(text) === 0 ? text : `${v > 0 ? '+' : '-'}${text}`;
};

/** The fit as a Markdown table, for the console and for docs/demand-calibration.md. */
export function formatFitReport(source: FitReport, drawn?: FitReport): string {
  const rows: string[][] = [['measure', 'counted', 'model', 'note']];
  const add = (...r: string[]): number => rows.push(r);
  add('stop events', String(source.events), String(source.events), 'same trips, stops, times, headways');
  add('boardings, whole week', String(source.total.data), String(source.total.model), `error ${signed(source.total.errorPct)}%`);
  add('mean boardings per stop event', f(source.meanBoardingsPerEvent.data, 3), f(source.meanBoardingsPerEvent.model, 3), '');
  for (const d of source.daily) add(`boardings ${d.date}`, String(d.data), String(d.model), `error ${signed(d.errorPct)}%`);
  for (const day of ['weekday', 'weekend'] as const) {
    const p = source.profile[day];
    add(`${day} time-of-day profile`, '', '', `correlation ${f(p.correlation, 4)}, RMSE ${f(p.relativeRmse, 3)} (profile mean 1)`);
  }
  const share = source.boardingShare;
  add('boarding share, first stop', f(share.data[0]!, 3), f(share.model[0]!, 3), '');
  add('boarding share, middle tenth (0.5-0.6)', f(share.data[6]!, 3), f(share.model[6]!, 3), '');
  add('boarding share, last stop', f(share.data[share.data.length - 1]!, 3), f(share.model[share.model.length - 1]!, 3), '');
  add('alighting share, last stop', f(source.alightingShare.data.at(-1)!, 3), f(source.alightingShare.model.at(-1)!, 3), '');
  const d = source.dispersion;
  d.meanExpected.forEach((m, i) => {
    if (i % 2 === 1 || i === d.meanExpected.length - 1) add(`var/mean within cells, expected ~${f(m, 2)}`, f(d.data[i]!), f(d.model[i]!), `${d.events[i]} events`);
  });
  add('var/mean per cell, raw (stop x line x dir x day type x hour)', f(source.cellVarianceToMean.data), f(source.cellVarianceToMean.model), `${source.cellVarianceToMean.cells} cells; headway spread included`);
  source.byGap.ratio.forEach((r, k) => {
    add(`boardings / typical-gap expectation, gap ${r} x typical`, f(source.byGap.data[k]!), f(source.byGap.model[k]!), `${source.byGap.events[k]} events`);
  });
  add('visits where a full tram left people behind', '', String(source.capacityLimitedVisits), `capacity ${source.options.capacity}`);
  if (drawn) {
    add('drawn stop factors: week total', String(drawn.total.data), String(drawn.total.model), `error ${signed(drawn.total.errorPct)}%`);
    add('drawn stop factors: weekday profile', '', '', `correlation ${f(drawn.profile.weekday.correlation, 4)}`);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => `| ${r.map((v, c) => v.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** Thursday and Friday of the Geneva week: calibrated on the other days, compared on these. */
const HOLDOUT_DATES = ['20121004', '20121005'];

export interface HoldoutResult {
  dates: string[];
  report: FitReport;
}

/**
 * An out-of-sample look: calibrate on all days but `dates` (with the source calibration's options),
 * then replay the held-out days through that model. The in-sample fit above shows that the model
 * reproduces what it was fitted on; this shows how well it carries over to days it has not seen.
 */
export function holdout(trips: readonly ReplayTrip[], source: DemandCalibration, options: { seed: number; capacity: number }, dates: string[]): HoldoutResult {
  const train = trips.filter((t) => !dates.includes(t.date));
  const test = trips.filter((t) => dates.includes(t.date));
  const calibration = calibrateDemand(train, { ...source.provenance, notes: [] }, {
    ...DEFAULT_CALIBRATION_OPTIONS,
    timeZone: source.provenance.timeZone,
    binMinutes: source.timeOfDay.binMinutes,
    interiorBins: source.position.interiorBins,
    maxWaitMinutes: source.exposure.maxWaitMinutes,
    missingTramFactor: source.exposure.missingTramFactor,
  });
  return { dates, report: compareFit(calibration, test, { ...options, stops: 'source' }) };
}

export function formatHoldout(h: HoldoutResult): string {
  const r = h.report;
  const lines = [`Held out ${h.dates.join(', ')} (calibrated on the other days):`];
  for (const d of r.daily) lines.push(`  boardings ${d.date}: counted ${d.data}, model ${d.model}, error ${signed(d.errorPct)}%`);
  lines.push(`  weekday profile: correlation ${f(r.profile.weekday.correlation, 4)}, RMSE ${f(r.profile.weekday.relativeRmse, 3)}`);
  lines.push(`  mean boardings per stop event: counted ${f(r.meanBoardingsPerEvent.data, 3)}, model ${f(r.meanBoardingsPerEvent.model, 3)}`);
  const worst = Math.max(...r.boardingShare.data.map((d, k) => Math.abs(d - r.boardingShare.model[k]!)));
  lines.push(`  boarding share by position: largest difference ${f(worst, 3)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .name('fit-report')
    .description('Compare the calibrated demand model with the counts it was calibrated on')
    .option('--data <path>', 'APC file, gzipped or plain CSV', DEFAULT_DATA_PATH)
    .option('--calibration <path>', 'calibration JSON', DEFAULT_CALIBRATION_PATH)
    .option('--svg <path>', 'figure to write', DEFAULT_FIGURE_PATH)
    .option('--seed <n>', 'random seed', '2012')
    .option('--capacity <n>', 'vehicle capacity in the replay', '250')
    .parse();
  const opts = program.opts<{ data: string; calibration: string; svg: string; seed: string; capacity: string }>();
  const started = performance.now();
  const calibration = loadDemandCalibration(opts.calibration);
  const { trips } = await readReplayTrips(opts.data, { timeZone: calibration.provenance.timeZone });
  const base = { seed: Number(opts.seed), capacity: Number(opts.capacity) };
  const source = compareFit(calibration, trips, { ...base, stops: 'source' });
  const drawn = compareFit(calibration, trips, { ...base, stops: 'drawn' });
  console.log(formatFitReport(source, drawn));
  console.log(`\n${formatHoldout(holdout(trips, calibration, base, HOLDOUT_DATES))}`);
  const subtitle =
    `Model replayed on the counted trips (seed ${base.seed}): week total ${signed(source.total.errorPct)}%, ` +
    `mean boardings per stop event ${f(source.meanBoardingsPerEvent.data)} counted vs ${f(source.meanBoardingsPerEvent.model)} model.`;
  await writeFile(opts.svg, renderFitSvg(source, subtitle));
  console.log(`wrote ${opts.svg} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
