/**
 * `npm run bench`: prints figures (frame sizes, airtime, simulation speed). Never pass/fail on time:
 * these are measurements to read and compare, not tests.
 */
import { configureLogging } from '../common/log.js';
import { uplinkTimeOnAirMs } from '../firmware-bindings/lora/airtime.js';
import { encodeLive, encodeStopBatch, Level, type StopReport } from '../proto/frames.js';
import { runScenario } from '../simulator/bench/run-scenario.js';
import { loadScenario } from '../simulator/scenario.js';

configureLogging({ level: 'warn' });

function table(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  console.log(`\n${title}`);
  for (const [k, r] of cells.entries()) {
    console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    if (k === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

const t0 = Date.UTC(2026, 10, 23, 7, 0, 0);
const reports: StopReport[] = Array.from({ length: 40 }, (_, i) => ({
  seq: 120_000 + i,
  departure: t0 + i * 110_000,
  stop: 1 + (i % 10),
  line: 5,
  course: 7,
  destination: i < 10 ? 51 : i < 20 ? 52 : i < 30 ? 51 : 52,
  boardings: (i * 7) % 15,
  alightings: (i * 5) % 12,
  load: 20 + ((i * 13) % 60),
  flags: i % 17 === 0 ? 2 : 0,
}));
const sentAt = t0 + 40 * 110_000 + 60_000;
table(
  'Frame sizes (schema v1)',
  ['frame', 'payload B', 'B per report', 'airtime SF7 ms', 'airtime SF9 ms'],
  [
    ['live', encodeLive({ seq: 120_040, stop: 7, level: Level.LEVEL_MEDIUM, occupancyTenths: 4, line: 5 }).length, '-', '', ''],
    ...[1, 4, 8].map((n) => {
      const bytes = encodeStopBatch(reports.slice(0, n), sentAt).length;
      return [`stop batch of ${n}`, bytes, (bytes / n).toFixed(2), '', ''];
    }),
  ].map((row) => {
    const bytes = Number(row[1]);
    return [row[0]!, row[1]!, row[2]!, uplinkTimeOnAirMs(bytes, 5).toFixed(1), uplinkTimeOnAirMs(bytes, 3).toFixed(1)];
  }),
);

const scenario = loadScenario('demo');
const report = await runScenario(scenario);
table('Bench demo (simulated service day, device-depth modems)', ['figure', 'value'], [
  ['vehicles', report.vehicles],
  ['stop events', report.stopEvents],
  ['simulated hours', report.run.simulatedHours],
  ['wall seconds', report.run.wallSeconds],
  ['simulated hours per wall second', report.run.simulatedHoursPerWallSecond],
  ['airtime per vehicle-day, max s', report.airtime.perVehicleDaySeconds],
  ['bytes per stop report (as sent)', report.frames.bytesPerStopReport],
]);
console.log('');
