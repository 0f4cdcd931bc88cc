/** `occupancy model train | evaluate`: the on-device load estimator's training and scoring. */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { integerArg, numberArg } from '../common/cli-program.js';
import { prepareOutputDir, prepareOutputFile, STDOUT } from '../common/cli-output.js';
import { configureLogging } from '../common/log.js';
import { OnnxLoadModel } from '../gateway/estimation/onnx-model.js';
import { loadScenario } from '../simulator/scenario.js';
import { ConfigError } from '../common/errors.js';
import { evaluateScenario, formatMaeDifference, type Metrics } from './evaluate.js';
import { notWorseMark, runSweep, SWEEP_SCENARIOS, sweepTable, WARM_DAYS } from './sweep.js';
import { sweepSvg } from './sweep-svg.js';
import { DEFAULT_PLAN } from './training/plan.js';
import { SHIPPED_MODEL } from '../gateway/estimation/shipped-model.js';
import { trainLoadModel } from './training/train-load-model.js';


function line(name: string, m: Metrics): string {
  return `  ${name.padEnd(12)} MAE ${m.mae.toFixed(2).padStart(6)} (${(m.maeShareOfCapacity * 100).toFixed(2)} % of capacity)  bias ${(m.bias * 100).toFixed(2).padStart(6)} %  levels ${(m.levelAccuracy * 100).toFixed(1)} %`;
}

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('the on-device load estimator (ONNX): train and evaluate');

  model
    .command('train')
    .description('train the load estimator on simulated days and Geneva replays, export ONNX (takes a few minutes)')
    .option('--out <dir>', `write ${basename(SHIPPED_MODEL)} into this folder (created if missing)`, dirname(SHIPPED_MODEL))
    .option('--halle-days <n>', 'simulated Halle days in the training set', integerArg(1), DEFAULT_PLAN.halleDays)
    .option('--without-radio', 'train without the radio features (for comparison)')
    .option('--warm-every <n>', 'every n-th training day starts with the self-calibration an earlier day left (0: all cold, as model 1.2.0)', integerArg(0), DEFAULT_PLAN.warmEvery)
    .option('--door-quality-max <x>', 'door quality drawn up to this multiple of the sensor range (1: up to it, as model 1.2.0; 1.3.0 drew to 1.12)', numberArg(1, 2), DEFAULT_PLAN.doorQualityMax)
    .action(async (o: { out: string; halleDays: number; withoutRadio?: boolean; warmEvery: number; doorQualityMax: number }) => {
      // Checked before minutes of training.
      const out = join(prepareOutputDir(o.out, '--out', basename(SHIPPED_MODEL)), basename(SHIPPED_MODEL));
      configureLogging({ level: 'warn' });
      const result = await trainLoadModel({
        plan: { ...DEFAULT_PLAN, halleDays: o.halleDays, warmEvery: o.warmEvery, doorQualityMax: o.doorQualityMax },
        withRadio: !o.withoutRadio,
        onProgress: (m) => process.stderr.write(`  ${m}\n`),
      });
      writeFileSync(out, result.bytes);
      console.log(
        `model written to ${out}: ${result.bytes.length} bytes, ${result.nodes} tree nodes, ${result.samples} training stop events from ${result.scenarios.length} days ` +
          `(collect ${result.seconds.collect.toFixed(0)} s, train ${result.seconds.train.toFixed(0)} s), fingerprint ${result.fingerprint}`,
      );
    });

  model
    .command('evaluate')
    .description('score the model and the baselines on a scenario against ground truth, or over a grid of sensor quality (--sweep)')
    .option('--scenario <name|file>', 'scenario name or file (the holdout-* scenarios were never used in training)')
    .option('--sweep', `a grid of door-counter and camera quality on held-out scenarios (default ${SWEEP_SCENARIOS.join(', ')})`)
    .option('--scenarios <names>', 'with --sweep: comma-separated scenario names or files instead of the default held-out ones')
    .option('--model <file>', 'ONNX model', SHIPPED_MODEL)
    .option('--json <file>', 'write the evaluation as JSON to this file (its folder is created; - for standard output)')
    .option('--svg <file>', 'with --sweep: write a plot of the sweep (its folder is created)')
    .option('--cache <dir>', 'with --sweep: keep the simulated departures of each cell there and reuse them (they do not depend on the model)')
    .option('--warm-days <n>', `with --sweep: earlier service days each vehicle runs under the cell's sensors before the evaluated day, carrying its self-calibration and guard as the outbox database does`, integerArg(0), WARM_DAYS)
    .option('--cold', 'with --sweep: start every vehicle afresh on the evaluated day (same as --warm-days 0)')
    .action(async (o: { scenario?: string; sweep?: boolean; scenarios?: string; model: string; json?: string; svg?: string; cache?: string; warmDays: number; cold?: boolean }) => {
      const json = o.json === undefined ? undefined : prepareOutputFile(o.json, '--json');
      const svg = o.svg === undefined ? undefined : prepareOutputFile(o.svg, '--svg');
      configureLogging({ level: 'warn' });
      if (!o.sweep && !o.scenario) throw new ConfigError('--scenario', 'give a scenario, or --sweep for the grid of sensor quality');
      const loaded = await OnnxLoadModel.load(o.model);
      try {
        if (o.sweep) await sweep(loaded, { ...o, json, svg });
        else await single(loaded, o.scenario!, json);
      } finally {
        await loaded.close();
      }
    });
}

async function single(loaded: OnnxLoadModel, scenario: string, json: string | undefined): Promise<void> {
  const progress = (done: number, samples: number) => process.stderr.write(`\r  simulating ${scenario}: ${Math.round(done * 100)} %, ${samples} stop events   `);
  const report = await evaluateScenario(loadScenario(scenario), loaded, progress);
  process.stderr.write('\n');
  if (json === STDOUT) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  // With the evaluation on standard output, the summary goes to standard error.
  const summary = json === STDOUT ? process.stderr : process.stdout;
  summary.write(
    [
      `${report.scenario}: ${report.stopEvents} stop events, mean design capacity ${report.capacity}`,
      line(`model ${report.model.version}`.slice(0, 12), report.model),
      line('  × v. scale', report.modelScaled),
      line('  + guard', report.modelGuarded) +
        `  (running sum on ${(report.modelGuarded.fallbackShare * 100).toFixed(1)} % of departures; MAE against it ${formatMaeDifference(report.modelGuarded.vsRunningSum)} over ${report.modelGuarded.vsRunningSum.vehicleDays} vehicle-days)`,
      line('running sum', report.baselines.runningSum),
      line('camera only', report.baselines.cameraOnly),
      line('calibr. sum', report.calibratedSum),
    ].join('\n') + '\n',
  );
}

async function sweep(loaded: OnnxLoadModel, o: { scenarios?: string; json?: string; svg?: string; cache?: string; warmDays: number; cold?: boolean }): Promise<void> {
  const scenarios = o.scenarios ? o.scenarios.split(',').map((s) => s.trim()).filter(Boolean) : SWEEP_SCENARIOS;
  const warmDays = o.cold ? 0 : o.warmDays;
  process.stderr.write(warmDays ? `  each vehicle runs ${warmDays} earlier day(s) before the evaluated one (--cold: none)\n` : '  cold: every vehicle starts afresh on the evaluated day\n');
  const report = await runSweep(loaded, {
    scenarios,
    warmDays,
    ...(o.cache ? { cacheDir: o.cache } : {}),
    onProgress: (m) => process.stderr.write(`  ${m}\n`),
    onCell: (c, i, n) => {
      const ok = (v: boolean | string) => (v === 'not applicable' ? '-' : v ? 'ok' : 'MISSED');
      console.log(
        `[${i}/${n}] doors ${c.door.name.padEnd(12)} camera ${c.camera.name.padEnd(8)} ${String(c.stopEvents).padStart(6)} stop events  ` +
          `model+guard MAE ${c.modelGuarded.mae.toFixed(2)} bias ${(c.modelGuarded.bias * 100).toFixed(2)} %  ` +
          `running sum ${c.runningSum.mae.toFixed(2)} / ${(c.runningSum.bias * 100).toFixed(2)} %  camera ${c.cameraOnly.mae.toFixed(2)} / ${(c.cameraOnly.bias * 100).toFixed(2)} %  ` +
          `below best ${(c.belowBestBaseline * 100).toFixed(0)} %  aims: bias ${ok(c.aims.bias)}, not worse ${notWorseMark(c)}, 30 % ${ok(c.aims.belowBestBaseline)}`,
      );
    },
  });
  if (o.json === STDOUT) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  if (o.svg && o.svg !== STDOUT) writeFileSync(o.svg, sweepSvg(report));
  else if (o.svg) process.stdout.write(sweepSvg(report));
  console.log(`\n${sweepTable(report)}`);
}
