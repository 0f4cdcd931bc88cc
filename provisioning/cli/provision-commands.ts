/**
 * `occupancy provision ...`: what a technician does to fit a gateway to a tram: create its config and
 * key, register it with the network server, self-test it on the vehicle, install the service, and
 * keep the fleet inventory. Every error says what to do.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { prepareOutputDir, prepareOutputFile, STDOUT } from '../../common/cli-output.js';
import { ConfigError } from '../../common/errors.js';
import { loadGatewayConfig, loadGatewaySecrets } from '../../gateway/config.js';
import { loadVehicleTypes } from '../../contracts/vehicle-types.js';
import { FleetInventory, inventoryLocation } from '../../contracts/fleet-inventory.js';
import { checkChirpStackId, checkTtsApplicationId } from '../fleet-registration.js';
import { registerFleetCommands } from './fleet-commands.js';
import { chirpStackRegistration, ttsRegistration, writeRegistration } from '../registration.js';
import { withSelfTestOptions, type SelfTestCommandOptions } from '../../gateway/self-test-options.js';
import { gatewayUnit } from '../systemd.js';
import { jemallocPath } from '../../gateway/node-runtime.js';
import { buildVehicleConfig, newAppKey, writeVehicleFiles } from '../vehicle-files.js';

/** Where the technician unpacks the vehicle image on the Pi (docs/technician-guide.md). */
const INSTALL_DIR = '/opt/tram-occupancy';
/** The unit `provision service --out <dir>` writes. */
const UNIT_FILE = 'tram-occupancy.service';
const INVENTORY_HELP = 'fleet inventory (SQLite; default $OCCUPANCY_INVENTORY, else /var/lib/tram-occupancy/fleet-inventory.db)';

function hex(bytes: number, what: string): (v: string) => string {
  return (v) => {
    if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v)) throw new ConfigError(what, `expected ${bytes} bytes of hex (${bytes * 2} digits), got "${v}"`);
    return v.toLowerCase();
  };
}

export function registerProvisionCommands(program: Command): void {
  const provision = program.command('provision').description('fit, register, test and install gateways (for technicians)');

  provision
    .command('new <vehicle>')
    .description('create the config and a fresh AppKey for a vehicle, and add it to the fleet inventory')
    .requiredOption('--type <id>', 'vehicle type (see contracts/data/vehicle-types.yaml), e.g. MGT-K1')
    .requiredOption('--dev-eui <hex>', 'the modem\'s DevEUI (label on the module, or `AT+DEVEUI=?`)', hex(8, '--dev-eui'))
    .option('--join-eui <hex>', 'JoinEUI of the operator', hex(8, '--join-eui'), '0000000000000000')
    .option('--dialect <rui3|rn2483>', 'modem firmware', 'rui3')
    .option('--port <path>', 'the modem\'s serial port on the vehicle', '/dev/ttyAMA0')
    .option('--door-board-port <path>', 'the door board\'s serial port (pin mapping from the vehicle type); "none" when not fitted', '/dev/tram-doors')
    .option('--ibis-port <path>', 'the vehicle bus (IBIS) serial port; "none" when not fitted', '/dev/tram-ibis')
    .option('--camera-port <path>', 'the camera counter\'s serial port; "none" when not fitted', '/dev/tram-camera')
    .option('--no-ble', 'do not scan for phones over Bluetooth LE')
    .option('--out <dir>', 'where to write gateway.yaml and secrets.yaml', '.')
    .option('--inventory <file>', INVENTORY_HELP)
    .option('--force', 'fit the vehicle a new gateway: replace its inventory entry and an existing key (the device must then be registered again)')
    .action((vehicle: string, o: { type: string; devEui: string; joinEui: string; dialect: string; port: string; doorBoardPort: string; ibisPort: string; cameraPort: string; ble: boolean; out: string; inventory?: string; force?: boolean }) => {
      const type = loadVehicleTypes().get(o.type);
      if (!type) throw new ConfigError('--type', `unknown vehicle type "${o.type}" (known: ${[...loadVehicleTypes().keys()].join(', ')})`);
      if (o.dialect !== 'rui3' && o.dialect !== 'rn2483') throw new ConfigError('--dialect', 'must be rui3 or rn2483');
      const config = buildVehicleConfig({
        vehicleId: vehicle, type, devEui: o.devEui, joinEui: o.joinEui, modemDialect: o.dialect, modemPort: o.port, outboxPath: '/var/lib/tram-occupancy/outbox.db',
        ...(o.doorBoardPort !== 'none' ? { doorBoardPort: o.doorBoardPort } : {}),
        ...(o.ibisPort !== 'none' ? { ibisPort: o.ibisPort } : {}),
        ...(o.cameraPort !== 'none' ? { cameraPort: o.cameraPort } : {}),
        ble: o.ble,
      });
      const where = inventoryLocation(o.inventory);
      const inventory = new FleetInventory(where.path);
      try {
        // The files are written inside the inventory's transaction: a refusal of either leaves neither.
        let files: { configPath: string; secretsPath: string } | undefined;
        inventory.record(
          { vehicleId: vehicle, type: type.id, devEui: o.devEui, joinEui: o.joinEui, modemDialect: o.dialect, provisionedAt: new Date().toISOString() },
          { replace: o.force ?? false },
          () => (files = writeVehicleFiles(o.out, config, newAppKey(), o.force ?? false)),
        );
        console.log(`vehicle ${vehicle} (${type.name}): config ${files!.configPath}, key ${files!.secretsPath} (mode 600), in the inventory ${where.path}`);
        console.log(`next: occupancy provision register ${vehicle} --dir ${o.out} --network chirpstack|tts`);
      } finally {
        inventory.close();
      }
    });

  provision
    .command('register <vehicle>')
    .description('write the network server\'s registration file for a provisioned vehicle (contains the key: mode 600)')
    .requiredOption('--network <chirpstack|tts>', 'which network server')
    .option('--dir <dir>', 'the vehicle\'s provisioning folder (gateway.yaml, secrets.yaml)', '.')
    .option('--out <dir>', 'where to write the registration file', 'registration')
    .option('--application-id <id>', 'the application on the network server (ChirpStack: its UUID; The Things Stack: its id)')
    .option('--device-profile-id <uuid>', 'ChirpStack device profile (EU868, LoRaWAN 1.0.3, OTAA, class A)')
    .option('--frequency-plan <id>', 'The Things Stack frequency plan', 'EU_863_870_TTN')
    .action((vehicle: string, o: { network: string; dir: string; out: string; applicationId?: string; deviceProfileId?: string; frequencyPlan: string }) => {
      if (o.network === 'chirpstack') {
        checkChirpStackId('--application-id', o.applicationId);
        checkChirpStackId('--device-profile-id', o.deviceProfileId);
      } else if (o.network === 'tts') checkTtsApplicationId('--application-id', o.applicationId);
      const config = loadGatewayConfig(join(o.dir, 'gateway.yaml'));
      const secrets = loadGatewaySecrets(join(o.dir, 'secrets.yaml'), config.lorawan.devEui);
      if (config.vehicle.id !== vehicle) throw new ConfigError('vehicle', `${o.dir}/gateway.yaml is for vehicle ${config.vehicle.id}, not ${vehicle}`);
      const input = { vehicleId: vehicle, devEui: config.lorawan.devEui, joinEui: config.lorawan.joinEui, appKey: secrets.appKey };
      let path: string;
      if (o.network === 'chirpstack') {
        path = writeRegistration(o.out, `chirpstack-tram-${vehicle}.json`, chirpStackRegistration(input, { applicationId: o.applicationId!.toLowerCase(), deviceProfileId: o.deviceProfileId!.toLowerCase() }));
      } else if (o.network === 'tts') {
        path = writeRegistration(o.out, `tts-tram-${vehicle}.json`, ttsRegistration(input, { applicationId: o.applicationId!, frequencyPlanId: o.frequencyPlan }));
      } else throw new ConfigError('--network', 'must be chirpstack or tts');
      console.log(`registration for tram ${vehicle} written to ${path} (mode 600; hand it to the network operator, then delete it)`);
    });

  // The self-test is the vehicle's own command (gateway/cli.ts); here it also records the result.
  withSelfTestOptions(provision.command('selftest'))
    .option('--inventory <file>', 'record the result in this fleet inventory (see --record)')
    .option('--record', 'record the result in the fleet inventory ($OCCUPANCY_INVENTORY or the default location unless --inventory)')
    .action(async (o: SelfTestCommandOptions & { inventory?: string; record?: boolean }) => {
      // Before the test: a result that cannot be recorded must be known before it is worth recording.
      const inventory = o.inventory || o.record ? FleetInventory.openExisting(inventoryLocation(o.inventory).path) : undefined;
      if (inventory) {
        const vehicleId = loadGatewayConfig(o.config).vehicle.id;
        if (!inventory.get(vehicleId)) {
          inventory.close();
          throw new ConfigError('inventory', `vehicle ${vehicleId} is not in ${inventory.path}: provision it first (occupancy provision new)`);
        }
      }
      const { runSelfTestCommand } = await import('../../gateway/cli.js');
      const { vehicleId, ok } = await runSelfTestCommand(o);
      if (inventory) {
        inventory.recordSelfTest(vehicleId, new Date().toISOString(), ok);
        inventory.close();
      }
    });

  provision
    .command('service')
    .description('print (or write) the systemd unit that runs the gateway on the vehicle')
    .requiredOption('-c, --config <file>', 'the vehicle config (read here for its ports, sources and outbox)')
    .option('--config-on-vehicle <file>', 'where the config lies on the vehicle', '/etc/tram-occupancy/gateway.yaml')
    .option('-s, --secrets <file>', 'secrets path on the vehicle', '/etc/tram-occupancy/secrets.yaml')
    .option('--user <name>', 'service user (in the dialout group)', 'tram-occupancy')
    .option('--install-dir <dir>', 'where the software is installed on the vehicle', INSTALL_DIR)
    .option('--arch <arch>', "the vehicle's architecture as node names it (where libjemalloc2 lies)", 'arm64')
    .option('--out <dir>', `write ${UNIT_FILE} into this folder (e.g. /etc/systemd/system) instead of printing it`)
    .action((o: { config: string; configOnVehicle: string; secrets: string; user: string; installDir: string; arch: string; out?: string }) => {
      if (jemallocPath(o.arch) === undefined) throw new ConfigError('--arch', `must be arm64 (the Pi), arm or x64, got "${o.arch}"`);
      const dir = o.out === undefined ? undefined : prepareOutputDir(o.out, '--out', UNIT_FILE);
      const config = loadGatewayConfig(o.config);
      const unit = gatewayUnit({
        installDir: o.installDir,
        // Written on the laptop (the vehicle image has no tools): the paths are the vehicle's.
        configPath: o.configOnVehicle,
        secretsPath: resolve(o.secrets),
        user: o.user,
        // The vehicle's node (Raspberry Pi OS), not the one this laptop runs.
        node: '/usr/bin/node',
        outboxDir: dirname(resolve(config.uplink.outboxPath)),
        ble: config.sources.radio?.ble ?? false,
        wifi: config.sources.radio?.wifiCommand !== undefined,
        gpio: config.modem.resetCommand !== undefined,
        arch: o.arch,
      });
      if (dir) {
        writeFileSync(join(dir, UNIT_FILE), unit);
        console.log(`wrote ${join(dir, UNIT_FILE)}; then: systemctl daemon-reload && systemctl enable --now tram-occupancy`);
      } else process.stdout.write(unit);
    });

  provision
    .command('list')
    .description('the fleet inventory: vehicles, DevEUIs, last self-test')
    .option('--inventory <file>', INVENTORY_HELP)
    .option('--json <file>', 'write the inventory as JSON to this file (- for standard output)')
    .action((o: { inventory?: string; json?: string }) => {
      const json = o.json === undefined ? undefined : prepareOutputFile(o.json, '--json');
      const inventory = FleetInventory.openExisting(inventoryLocation(o.inventory).path);
      const rows = inventory.list();
      inventory.close();
      if (json === STDOUT) return console.log(JSON.stringify(rows, null, 2));
      if (json) {
        writeFileSync(json, `${JSON.stringify(rows, null, 2)}\n`);
        return console.log(`${rows.length} vehicles written to ${o.json}`);
      }
      if (rows.length === 0) return console.log(`no vehicles in ${inventory.path} yet (occupancy provision new <vehicle> ...)`);
      console.log('vehicle  type     DevEUI            modem   provisioned           self-test');
      for (const r of rows) {
        const test = r.lastSelfTestAt ? `${r.lastSelfTestOk ? 'ok' : 'FAILED'} ${r.lastSelfTestAt}` : '-';
        console.log(`${r.vehicleId.padEnd(8)} ${r.type.padEnd(8)} ${r.devEui}  ${r.modemDialect.padEnd(6)}  ${r.provisionedAt.slice(0, 19)}  ${test}`);
      }
    });

  provision
    .command('remove <vehicle>')
    .description('take a vehicle\'s gateway out of the inventory (its DevEUI may then be fitted elsewhere)')
    .option('--inventory <file>', INVENTORY_HELP)
    .action((vehicle: string, o: { inventory?: string }) => {
      const inventory = FleetInventory.openExisting(inventoryLocation(o.inventory).path);
      const removed = inventory.remove(vehicle);
      inventory.close();
      if (!removed) throw new Error(`vehicle ${vehicle} is not in ${inventory.path}: nothing removed (occupancy provision list shows the fleet)`);
      console.log(`vehicle ${vehicle} removed from ${inventory.path}; its DevEUI may now be fitted elsewhere`);
    });

  registerFleetCommands(provision);
}
