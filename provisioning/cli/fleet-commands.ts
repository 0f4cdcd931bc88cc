/**
 * `occupancy provision export | modem | install-files`: the fleet's registration with the network
 * server in one go, credentials written into a modem and checked, and the files that set up a
 * Raspberry Pi for the gateway. Registered under `provision` by provision-commands.ts.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SystemClock } from '../../common/clock.js';
import { ConfigError } from '../../common/errors.js';
import { configureLogging } from '../../common/log.js';
import { loadGatewayConfig, loadGatewaySecrets } from '../../gateway/config.js';
import { MODEM_DIALECTS } from '../../firmware-bindings/lora/dialects.js';
import { openSerialPort } from '../../firmware-bindings/transport/serial-port.js';
import { chirpStackRequests, chirpStackScript, checkChirpStackId, checkTtsApplicationId, ttsImportFile, writePrivate } from '../fleet-registration.js';
import { installFiles } from '../install-files.js';
import { FleetInventory, inventoryLocation } from '../../contracts/fleet-inventory.js';
import { writeModemCredentials } from '../modem-credentials.js';
import type { RegistrationInput } from '../registration.js';
import { formatChecks, selfTestModem } from '../../gateway/self-test.js';

const INSTALL_DIR = '/opt/tram-occupancy';

/** Every vehicle of the inventory with its DevEUI, JoinEUI and AppKey from its provisioning folder. */
function fleetDevices(inventory: FleetInventory, vehiclesDir: string): RegistrationInput[] {
  const rows = inventory.list();
  if (rows.length === 0) throw new ConfigError('inventory', `no vehicles in ${inventory.path} (occupancy provision new <vehicle> ...)`);
  const problems: string[] = [];
  const devices: RegistrationInput[] = [];
  for (const row of rows) {
    const dir = join(vehiclesDir, row.vehicleId);
    try {
      const config = loadGatewayConfig(join(dir, 'gateway.yaml'));
      const secrets = loadGatewaySecrets(join(dir, 'secrets.yaml'));
      if (config.vehicle.id !== row.vehicleId) throw new Error(`${dir}/gateway.yaml is for vehicle ${config.vehicle.id}`);
      if (config.lorawan.devEui.toLowerCase() !== row.devEui) throw new Error(`${dir}/gateway.yaml has DevEUI ${config.lorawan.devEui}, the inventory ${row.devEui}`);
      devices.push({ vehicleId: row.vehicleId, devEui: row.devEui, joinEui: config.lorawan.joinEui.toLowerCase(), appKey: secrets.appKey.toLowerCase() });
    } catch (error) {
      problems.push(`vehicle ${row.vehicleId}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError('--vehicles', `cannot export the fleet (nothing written):\n  ${problems.join('\n  ')}`);
  return devices;
}

export function registerFleetCommands(provision: Command): void {
  provision
    .command('export')
    .description('registration of every vehicle in the inventory, in the network server\'s import format (contains keys: mode 600)')
    .requiredOption('--network <chirpstack|tts>', 'which network server')
    .option('--application-id <id>', 'the application on the network server (ChirpStack: its UUID; The Things Stack: its id)')
    .option('--device-profile-id <uuid>', 'ChirpStack device profile (EU868, LoRaWAN 1.0.3, OTAA, class A)')
    .option('--frequency-plan <id>', 'The Things Stack frequency plan', 'EU_863_870_TTN')
    .option('--vehicles <dir>', 'folder with one provisioning folder per vehicle (<dir>/<vehicle>/gateway.yaml and secrets.yaml)', 'vehicles')
    .option('--out <dir>', 'where to write the files', 'registration')
    .option('--inventory <file>', 'fleet inventory (default $OCCUPANCY_INVENTORY, else /var/lib/tram-occupancy/fleet-inventory.db)')
    .action((o: { network: string; applicationId?: string; deviceProfileId?: string; frequencyPlan: string; vehicles: string; out: string; inventory?: string }) => {
      if (o.network !== 'chirpstack' && o.network !== 'tts') throw new ConfigError('--network', 'must be chirpstack or tts');
      // Ids first: a wrong id must not cost the technician a pass over the fleet's files.
      if (o.network === 'chirpstack') {
        checkChirpStackId('--application-id', o.applicationId);
        checkChirpStackId('--device-profile-id', o.deviceProfileId);
      } else checkTtsApplicationId('--application-id', o.applicationId);
      const inventory = FleetInventory.openExisting(inventoryLocation(o.inventory).path);
      let devices: RegistrationInput[];
      try {
        devices = fleetDevices(inventory, o.vehicles);
      } finally {
        inventory.close();
      }
      if (o.network === 'tts') {
        const path = writePrivate(o.out, 'tts-end-devices.json', ttsImportFile(devices, { applicationId: o.applicationId!, frequencyPlanId: o.frequencyPlan }));
        console.log(`${devices.length} end devices written to ${path} (mode 600)`);
        console.log(`import: The Things Stack console, application ${o.applicationId}, "Import end devices", format "The Things Stack JSON"; then delete the file`);
      } else {
        const dir = join(o.out, 'chirpstack');
        const requests = chirpStackRequests(devices, { applicationId: o.applicationId!, deviceProfileId: o.deviceProfileId! });
        for (const r of requests) {
          writePrivate(dir, `${r.devEui}-device.json`, `${JSON.stringify(r.device, null, 2)}\n`);
          writePrivate(dir, `${r.devEui}-keys.json`, `${JSON.stringify(r.deviceKeys, null, 2)}\n`);
        }
        writePrivate(dir, 'devices.json', `${JSON.stringify(requests, null, 2)}\n`);
        const script = writePrivate(dir, 'register.sh', chirpStackScript(), 0o700);
        console.log(`${requests.length} devices written to ${dir}/ (mode 600): request bodies for ChirpStack's REST API, and ${script}`);
        console.log(`register: CHIRPSTACK_URL=http://<chirpstack-rest-api>:8090 CHIRPSTACK_API_TOKEN=<API key> sh ${script}; then delete the folder`);
      }
    });

  provision
    .command('modem')
    .description('write the vehicle\'s LoRaWAN credentials into its modem over the serial port and check them (with the service stopped)')
    .requiredOption('-c, --config <file>', 'vehicle config (dialect, port, DevEUI, JoinEUI)')
    .option('-s, --secrets <file>', 'secrets file (the AppKey)', '/etc/tram-occupancy/secrets.yaml')
    .option('--port <path>', 'the modem\'s serial port, if not the config\'s (e.g. a USB adapter on the laptop)')
    .option('--join', 'also join the network: the only proof of the AppKey (needs coverage and registration)')
    .option('--join-timeout <seconds>', 'how long to try to join', (v) => Number(v), 120)
    .action(async (o: { config: string; secrets: string; port?: string; join?: boolean; joinTimeout: number }) => {
      configureLogging({ level: 'warn' });
      const config = loadGatewayConfig(o.config);
      const secrets = loadGatewaySecrets(o.secrets);
      const port = o.port ?? config.modem.port;
      const dialect = MODEM_DIALECTS[config.modem.dialect];
      const clock = new SystemClock();
      const stream = await openSerialPort({ path: port, ...dialect.serial, baudRate: config.modem.baudRate ?? dialect.serial.baudRate });
      const driver = dialect.create(stream, clock, {
        credentials: { devEui: config.lorawan.devEui, joinEui: config.lorawan.joinEui, appKey: secrets.appKey },
        adr: config.modem.adr,
        ...(config.modem.dataRate !== undefined ? { dr: config.modem.dataRate } : {}),
      });
      console.log(`modem of vehicle ${config.vehicle.id}: ${config.modem.dialect} on ${port}`);
      try {
        const results = await writeModemCredentials(driver, config.lorawan);
        if (o.join && results.every((r) => r.ok)) {
          results.push(...(await selfTestModem(driver, clock, { join: true, joinTimeoutMs: o.joinTimeout * 1000, sendTestUplink: false })).slice(1));
        }
        console.log(formatChecks(results));
        if (!results.every((r) => r.ok)) process.exitCode = 1;
      } finally {
        await driver.close().catch(() => undefined);
        stream.destroy();
      }
    });

  provision
    .command('install-files')
    .description('write install.sh, udev rules and the systemd unit that set up a Raspberry Pi for the gateway')
    .option('--out <dir>', 'where to write them (copy the folder to the Pi, then: sudo sh install.sh)', 'pi-install')
    .option('--door-board <name>', 'the door board\'s name under /dev/serial/by-id (ls /dev/serial/by-id/ with it plugged in)')
    .option('--ibis <name>', 'the IBIS level shifter\'s name under /dev/serial/by-id')
    .option('--camera <name>', 'the camera counter\'s name under /dev/serial/by-id')
    .option('--modem <name>', 'the modem: a name under /dev/serial/by-id, or the Pi\'s UART (ttyAMA0)', 'ttyAMA0')
    .option('--user <name>', 'service user', 'tram-occupancy')
    .option('--install-dir <dir>', 'where the software goes on the Pi', INSTALL_DIR)
    .option('--config-path <file>', 'the config on the Pi', '/etc/tram-occupancy/gateway.yaml')
    .option('--secrets-path <file>', 'the secrets on the Pi', '/etc/tram-occupancy/secrets.yaml')
    .option('--node <path>', 'Node.js on the Pi', '/usr/bin/node')
    .action((o: { out: string; doorBoard?: string; ibis?: string; camera?: string; modem?: string; user: string; installDir: string; configPath: string; secretsPath: string; node: string }) => {
      const files = installFiles({
        user: o.user, installDir: o.installDir, configPath: o.configPath, secretsPath: o.secretsPath, stateDir: '/var/lib/tram-occupancy', node: o.node,
        devices: {
          ...(o.doorBoard ? { doorBoard: o.doorBoard } : {}), ...(o.ibis ? { ibis: o.ibis } : {}), ...(o.camera ? { camera: o.camera } : {}), ...(o.modem ? { modem: o.modem } : {}),
        },
      });
      for (const [name, [text, mode]] of Object.entries(files)) writePrivate(o.out, name, text, mode);
      console.log(`written to ${resolve(o.out)}: ${Object.keys(files).join(', ')}`);
      console.log(`on the Pi: sudo sh ${join(o.out, 'install.sh')}`);
    });
}
