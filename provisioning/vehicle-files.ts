/**
 * A vehicle's config and secrets files, as the technician's tool writes them: the config validated
 * by the same schema the gateway reads at start, the AppKey in a separate file with mode 600.
 * Must never print or log the AppKey.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../common/errors.js';
import { parseGatewayConfig, type GatewayConfig } from '../gateway/config.js';
import type { VehicleTypeData } from '../contracts/vehicle-types.js';

export interface VehicleSetup {
  vehicleId: string;
  type: VehicleTypeData;
  devEui: string;
  joinEui: string;
  modemDialect: 'rui3' | 'rn2483';
  modemPort: string;
  outboxPath: string;
  /** Serial ports of the vehicle bus and the camera (udev links on the HAVAG image); none: not fitted. */
  ibisPort?: string;
  cameraPort?: string;
  /** The door board's serial port; its pin mapping is the vehicle type's. */
  doorBoardPort?: string;
  /** Scan for phones' BLE advertisements (the Pi's own radio). */
  ble?: boolean;
}

export function buildVehicleConfig(setup: VehicleSetup): GatewayConfig {
  return parseGatewayConfig({
    vehicle: {
      id: setup.vehicleId,
      type: setup.type.id,
      seats: setup.type.seats,
      capacity: setup.type.capacity,
      levels: setup.type.levels,
    },
    modem: { dialect: setup.modemDialect, port: setup.modemPort },
    lorawan: { devEui: setup.devEui.toLowerCase(), joinEui: setup.joinEui.toLowerCase() },
    uplink: { outboxPath: setup.outboxPath },
    sources: {
      ...(setup.doorBoardPort && setup.type.doorBoard ? { doorBoard: { port: setup.doorBoardPort, mapping: setup.type.doorBoard } } : {}),
      ...(setup.ibisPort ? { ibis: { port: setup.ibisPort } } : {}),
      ...(setup.cameraPort ? { camera: { port: setup.cameraPort } } : {}),
      ...(setup.ble ? { radio: { ble: true } } : {}),
    },
  });
}

/** A fresh AppKey from the operating system's CSPRNG. */
export function newAppKey(): string {
  return randomBytes(16).toString('hex');
}

export interface WrittenFiles {
  configPath: string;
  secretsPath: string;
}

/** Writes gateway.yaml and secrets.yaml into `dir`; never overwrites a secrets file unless `force`. */
export function writeVehicleFiles(dir: string, config: GatewayConfig, appKey: string, force = false): WrittenFiles {
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'gateway.yaml');
  const secretsPath = join(dir, 'secrets.yaml');
  if (existsSync(secretsPath) && !force) {
    throw new ConfigError('secrets', `${secretsPath} exists: a gateway already provisioned keeps its key (use --force to replace it, then re-register the device)`);
  }
  const header = `# Tram occupancy gateway, vehicle ${config.vehicle.id} (${config.vehicle.type}). Written by \`occupancy provision new\`.\n`;
  writeFileSync(configPath, header + stringify(config));
  const levelSeed = randomBytes(32).toString('hex');
  writeFileSync(
    secretsPath,
    `# Secrets of vehicle ${config.vehicle.id}: the LoRaWAN AppKey and the seed of the anonymised public level.\n# Keep this file mode 600, owned by the service user.\ndevEui: ${config.lorawan.devEui}\nappKey: ${appKey}\nlevelSeed: ${levelSeed}\n`,
    { mode: 0o600 },
  );
  chmodSync(secretsPath, 0o600);
  return { configPath, secretsPath };
}
