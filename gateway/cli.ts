/** `occupancy gateway`: runs the edge agent on a vehicle. */
import { existsSync } from 'node:fs';
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
      const secrets = loadGatewaySecrets(opts.secrets, config.lorawan.devEui);
      if (opts.check) {
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
        return;
      }
      const stop = new AbortController();
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
      await runVehicleGateway(config, secrets, stop.signal);
    });
}
