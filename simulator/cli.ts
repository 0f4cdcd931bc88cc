/** `occupancy simulate`: runs a scenario on the bench and reports against ground truth. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { integerArg } from '../common/cli-program.js';
import { prepareOutputFile, STDOUT } from '../common/cli-output.js';
import { ConfigError } from '../common/errors.js';
import { configureLogging } from '../common/log.js';
import { localHour } from '../common/time.js';
import { reportPage } from './day-run/report-page.js';
import { runScenario, type Progress } from './day-run/run-scenario.js';
import { summaryTable } from './day-run/summary-table.js';
import { scenarioMarks } from './report/day-marks.js';
import { connectBrokerFeed, fleetInventoryWriter, type BrokerFeed } from './lorawan/broker-feed.js';
import { staticGtfsForScenario, writeStaticGtfs } from './gtfs/static-gtfs.js';
import { loadScenario } from './scenario.js';

function progressPrinter(): (p: Progress) => void {
  const tty = process.stderr.isTTY;
  let lastDecile = -1;
  return (p) => {
    const pct = Math.floor((100 * p.simulatedMs) / p.totalMs);
    const hours = (p.simulatedMs / 3_600_000).toFixed(1);
    const line = `  simulating: ${String(pct).padStart(3)} %  ${hours} h  ${p.stopEvents} stop events, ${p.delivered} reports delivered`;
    if (tty) process.stderr.write(`\r${line}   ${pct >= 100 ? '\n' : ''}`);
    else if (Math.floor(pct / 10) !== lastDecile) {
      lastDecile = Math.floor(pct / 10);
      process.stderr.write(`${line}\n`);
    }
  };
}

export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate')
    .description('run a scenario on the bench (no hardware) and score it against ground truth')
    .requiredOption('--scenario <name|file>', 'scenario name in simulator/scenarios/ or a path to a .yaml file')
    .option('--seed <n>', 'random seed (default: the scenario\'s)', integerArg(0))
    .option('--set <path=value>', 'change a scenario setting for this run, e.g. --set network.dataRate=3 (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--json <file>', 'write the report as JSON to this file (its folder is created; - for standard output)')
    .option('--html <file>', 'write a page with plots: load over a trip, a day\'s occupancy, errors (its folder is created)')
    .option('--quiet', 'print nothing but errors: no progress, no table, no device warnings')
    .option('--broker <url>', 'also publish the network server\'s events to this MQTT broker (e.g. mqtt://localhost:1883), for a backend to watch live')
    .option('--pace <factor>', 'simulated seconds per wall-clock second (e.g. 60: an hour a minute); default as fast as it goes', (v) => {
      const n = Number(v);
      if (!(n > 0)) throw new Error(`--pace must be a positive number, got ${v}`);
      return n;
    })
    .option('--inventory-out <file>', 'write the run\'s trams (fleet number, DevEUI, type) into this fleet inventory file, for occupancy backend --inventory')
    .option('--gtfs-out <dir>', 'write the static GTFS of the scenario\'s lines (the bench\'s timetable) into this folder, for occupancy backend --gtfs')
    .action(async (opts: { scenario: string; seed?: number; set?: string[]; json?: string; html?: string; quiet?: boolean; broker?: string; pace?: number; inventoryOut?: string; gtfsOut?: string }) => {
      // Device warnings (a camera or door board fault the scenario staged) are progress, not errors.
      configureLogging({ level: (process.env['LOG_LEVEL'] as 'warn' | undefined) ?? (opts.quiet ? 'error' : 'warn') });
      const scenario = loadScenario(opts.scenario, opts.set ?? []);
      // Checked before the run, so a day's simulation never fails at its end on a path.
      const json = opts.json === undefined ? undefined : prepareOutputFile(opts.json, '--json');
      const html = opts.html === undefined ? undefined : prepareOutputFile(opts.html, '--html');
      if (html === STDOUT) throw new ConfigError('--html', 'give a file name');
      const toStdout = json === STDOUT;
      if (!opts.quiet) process.stderr.write(`occupancy bench: ${scenario.name} — ${scenario.description}\n`);
      if (opts.gtfsOut) {
        writeStaticGtfs(opts.gtfsOut, staticGtfsForScenario(scenario));
        if (!opts.quiet) process.stderr.write(`  static GTFS written to ${opts.gtfsOut}\n`);
      }
      const feed: BrokerFeed | undefined = opts.broker ? await connectBrokerFeed(opts.broker, scenario.network.server) : undefined;
      const fleet = opts.inventoryOut ? fleetInventoryWriter(opts.inventoryOut, `${scenario.date}T00:00:00Z`) : undefined;
      let report;
      try {
        report = await runScenario(scenario, {
          ...(feed ? { mirror: feed.mirror } : {}),
          ...(fleet ? { onVehicle: (v: Parameters<typeof fleet.add>[0]) => fleet.add(v) } : {}),
          ...(opts.pace ? { pace: opts.pace } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(opts.quiet ? {} : { onProgress: progressPrinter(), onInfo: (text: string) => process.stderr.write(`${text}\n`) }),
          keepDetails: opts.html !== undefined,
        });
      } finally {
        fleet?.close();
        await feed?.close();
      }
      if (feed && !opts.quiet) process.stderr.write(`  published to ${opts.broker}: ${feed.counters.uplinksPublished} uplinks, ${feed.counters.noticesPublished} downlink and join notices\n`);
      if (html) writeFileSync(html, reportPage(report, (t) => localHour(t, scenario.timeZone), scenarioMarks(scenario)));
      const { details: _details, ...summary } = report;
      const text = `${JSON.stringify(summary, null, 2)}\n`;
      if (toStdout) process.stdout.write(text);
      else if (json) writeFileSync(json, text);
      // With the report on standard output, the table goes to standard error.
      const say = (line: string) => (toStdout ? process.stderr.write(`${line}\n`) : console.log(line));
      if (!opts.quiet) {
        say(`\n${summaryTable(report)}\n`);
        if (json && !toStdout) say(`  report written to ${opts.json}`);
        if (html) say(`  page with plots written to ${opts.html}`);
      }
    });

  program
    .command('static-gtfs')
    .description('write a static GTFS feed of a scenario\'s lines (the bench\'s timetable, schematic stop positions) for occupancy backend --gtfs')
    .requiredOption('--scenario <name|file>', 'scenario name in simulator/scenarios/ or a path to a .yaml file')
    .requiredOption('--out <dir>', 'folder to write agency, stops, routes, trips, stop_times, calendar and ibis_destinations into')
    .action((opts: { scenario: string; out: string }) => {
      writeStaticGtfs(opts.out, staticGtfsForScenario(loadScenario(opts.scenario)));
      console.log(`static GTFS of ${opts.scenario} written to ${opts.out}`);
    });
}
