/** `occupancy model train | evaluate`: the on-device load estimator's training and scoring. */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { integerArg } from '../common/cli-program.js';
import { prepareOutputDir, prepareOutputFile, STDOUT } from '../common/cli-output.js';
import { configureLogging } from '../common/log.js';
import { OnnxLoadModel } from '../gateway/estimation/onnx-model.js';
import { loadScenario } from '../simulator/scenario.js';
import { evaluateScenario, type Metrics } from './evaluate.js';
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
    .action(async (o: { out: string; halleDays: number; withoutRadio?: boolean }) => {
      // Checked before minutes of training.
      const out = join(prepareOutputDir(o.out, '--out', basename(SHIPPED_MODEL)), basename(SHIPPED_MODEL));
      configureLogging({ level: 'warn' });
      const result = await trainLoadModel({
        plan: { ...DEFAULT_PLAN, halleDays: o.halleDays },
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
    .description('score the model and the baselines on a scenario against ground truth')
    .requiredOption('--scenario <name|file>', 'scenario name or file (the holdout-* scenarios were never used in training)')
    .option('--model <file>', 'ONNX model', SHIPPED_MODEL)
    .option('--json <file>', 'write the evaluation as JSON to this file (its folder is created; - for standard output)')
    .action(async (o: { scenario: string; model: string; json?: string }) => {
      const json = o.json === undefined ? undefined : prepareOutputFile(o.json, '--json');
      configureLogging({ level: 'warn' });
      const loaded = await OnnxLoadModel.load(o.model);
      const progress = (done: number, samples: number) => process.stderr.write(`\r  simulating ${o.scenario}: ${Math.round(done * 100)} %, ${samples} stop events   `);
      const report = await evaluateScenario(loadScenario(o.scenario), loaded, progress);
      process.stderr.write('\n');
      await loaded.close();
      if (json === STDOUT) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
      // With the evaluation on standard output, the summary goes to standard error.
      const summary = json === STDOUT ? process.stderr : process.stdout;
      summary.write(
        [
          `${report.scenario}: ${report.stopEvents} stop events, mean design capacity ${report.capacity}`,
          line(`model ${report.model.version}`.slice(0, 12), report.model),
          line('running sum', report.baselines.runningSum),
          line('camera only', report.baselines.cameraOnly),
        ].join('\n') + '\n',
      );
    });
}
