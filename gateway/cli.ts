/**
 * The vehicle's commands: `occupancy gateway` runs the edge agent (as the systemd service does) or
 * checks its config, `occupancy selftest` tests a fitted gateway. Nothing here imports bench,
 * training or back-office code: this is what the vehicle image runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT } from '../common/cli-program.js';
import { SystemClock } from '../common/clock.js';
import { configureLogging } from '../common/log.js';
import { MODEL_VERSION_NO_MODEL, MODEL_VERSION_NOT_REPORTED, modelVersionCode, onnxMetadata } from '../contracts/model-metadata.js';
import { loadGatewayConfig, loadGatewaySecrets, type GatewayConfig, type GatewaySecrets } from './config.js';
import { OnnxLoadModel } from './estimation/onnx-model.js';
import { SHIPPED_MODEL } from './estimation/shipped-model.js';
import { runVehicleGateway } from './run-vehicle.js';
import { installStopSignals, type StopSignals } from './stop-signals.js';
import { formatChecks, selfTestModem, selfTestSources } from './self-test.js';
import { withSelfTestOptions, type SelfTestCommandOptions } from './self-test-options.js';
import { vehicleModem } from './vehicle-modem.js';

/**
 * `stop`: the process's stop signal (gateway/main.ts installs it before loading anything heavy);
 * without one (the tools' command line), installed here.
 */
export function registerVehicleCommands(program: Command, stop?: StopSignals): void {
  program
    .command('gateway')
    .description('run the occupancy gateway on a vehicle (as the systemd service does)')
    .requiredOption('-c, --config <file>', 'vehicle config (YAML or JSON)')
    .option('-s, --secrets <file>', 'secrets file with the AppKey (mode 600)', '/etc/tram-occupancy/secrets.yaml')
    .option('--check', 'validate the config and secrets, then exit')
    .action(async (opts: { config: string; secrets: string; check?: boolean }) => {
      const config = loadGatewayConfig(opts.config);
      const secrets = loadGatewaySecrets(opts.secrets, config.lorawan.devEui);
      if (opts.check) {
        await printCheck(config, secrets);
        return;
      }
      await runVehicleGateway(config, secrets, (stop ?? installStopSignals()).signal);
    });

  withSelfTestOptions(program.command('selftest'))
    .action(async (o: SelfTestCommandOptions) => {
      await runSelfTestCommand(o);
    });
}

/** Runs the self-test, prints the verdict and sets the exit code; the technicians' tools record it. */
export async function runSelfTestCommand(o: SelfTestCommandOptions): Promise<{ vehicleId: string; ok: boolean }> {
  configureLogging({ level: 'warn' });
  const config = loadGatewayConfig(o.config);
  const secrets = loadGatewaySecrets(o.secrets, config.lorawan.devEui);
  console.log(`self-test of vehicle ${config.vehicle.id}: config and secrets valid`);
  const clock = new SystemClock();
  const modem = vehicleModem(config, secrets, clock);
  const results = await selfTestModem(modem, clock, { join: o.join ?? false, joinTimeoutMs: o.joinTimeout * 1000, sendTestUplink: o.uplink ?? false, modelVersion: configuredModelVersion(config) });
  await modem.close();
  if (o.sources) {
    results.push(...(await selfTestSources(config, clock, o.listen * 1000, (text) => process.stderr.write(`\r  ${text}   `))));
    process.stderr.write('\n');
  }
  console.log(formatChecks(results));
  const ok = results.every((r) => r.ok);
  if (!ok) process.exitCode = results.some((r) => !r.ok && r.noAnswer) ? EXIT.noAnswer : EXIT.failure;
  return { vehicleId: config.vehicle.id, ok };
}

/**
 * The model_version the gateway will report with this config, read from the model file's metadata
 * without loading the runtime: the running sum's when the model is off, "not reported" when the
 * file cannot be read (`--check` says why).
 */
function configuredModelVersion(config: GatewayConfig): number {
  if (!config.estimation.useModel) return MODEL_VERSION_NO_MODEL;
  try {
    return modelVersionCode(onnxMetadata(readFileSync(config.estimation.modelPath ?? SHIPPED_MODEL))['model_version']) ?? MODEL_VERSION_NOT_REPORTED;
  } catch {
    return MODEL_VERSION_NOT_REPORTED;
  }
}

async function printCheck(config: GatewayConfig, secrets: GatewaySecrets): Promise<void> {
  console.log(`config ok: vehicle ${config.vehicle.id} (${config.vehicle.type}), modem ${config.modem.dialect} on ${config.modem.port}`);
  console.log(`secrets ok: for DevEUI ${secrets.devEui.toUpperCase()}, as the config says${secrets.levelSeed ? '' : ' (no level seed: a fresh one each start)'}`);
  if (config.estimation.useModel) {
    const model = await OnnxLoadModel.load(config.estimation.modelPath ?? SHIPPED_MODEL);
    console.log(`load model ok: version ${model.version}, features match`);
    await model.close();
  }
  // Ports that are not there yet are fine at the depot; on a fitted vehicle they are a cable to check.
  const src = config.sources;
  const ports: Array<[string, string | undefined]> = [
    ['modem', config.modem.port],
    ['door board', src.doorBoard?.port],
    ['vehicle bus (IBIS)', src.ibis?.port],
    ['camera counter', src.camera?.port],
  ];
  for (const [name, port] of ports) {
    if (port) console.log(`${name}: ${port} ${existsSync(port) ? 'present' : 'NOT PRESENT (fine before fitting; on a fitted tram check the cable and the udev link)'}`);
  }
  if (src.radio) console.log(`radio scanner: ${[src.radio.ble ? 'BLE' : '', src.radio.wifiCommand ? `WiFi via ${src.radio.wifiCommand[0]}` : ''].filter(Boolean).join(' and ') || 'configured but nothing enabled'}`);
}
