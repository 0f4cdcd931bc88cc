/** `occupancy gateway`: runs the edge agent on a vehicle. */
import type { Command } from 'commander';
import { loadGatewayConfig, loadGatewaySecrets } from './config.js';
import { runVehicleGateway } from './run-vehicle.js';
import { OnnxLoadModel } from './estimation/onnx-model.js';
import { SHIPPED_MODEL } from '../models/shipped-model.js';

export function registerGatewayCommands(program: Command): void {
  program
    .command('gateway')
    .description('run the occupancy gateway on a vehicle (as the systemd service does)')
    .requiredOption('-c, --config <file>', 'vehicle config (YAML or JSON)')
    .option('-s, --secrets <file>', 'secrets file with the AppKey (mode 600)', '/etc/tram-occupancy/secrets.yaml')
    .option('--check', 'validate the config and secrets, then exit')
    .action(async (opts: { config: string; secrets: string; check?: boolean }) => {
      const config = loadGatewayConfig(opts.config);
      const secrets = loadGatewaySecrets(opts.secrets);
      if (opts.check) {
        console.log(`config ok: vehicle ${config.vehicle.id} (${config.vehicle.type}), modem ${config.modem.dialect} on ${config.modem.port}`);
        if (config.estimation.useModel) {
          const model = await OnnxLoadModel.load(config.estimation.modelPath ?? SHIPPED_MODEL);
          console.log(`load model ok: version ${model.version}, features match`);
          await model.close();
        }
        return;
      }
      const stop = new AbortController();
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
      await runVehicleGateway(config, secrets, stop.signal);
    });
}
