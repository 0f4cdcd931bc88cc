/**
 * Network-server registration files for a provisioned gateway: what ChirpStack v4 (its API's
 * device and device-keys objects, for `chirpstack` REST/gRPC clients) and The Things Stack v3
 * (`ttn-lw-cli end-devices create --with-root-keys` JSON) need to know the device. These files
 * carry the AppKey: they are written mode 600 and are for the network operator's import only.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RegistrationInput {
  vehicleId: string;
  devEui: string;
  joinEui: string;
  appKey: string;
}

export interface ChirpStackOptions {
  applicationId: string;
  deviceProfileId: string;
}

/** ChirpStack v4: the Device and DeviceKeys of its API (LoRaWAN 1.0.x: the AppKey goes in nwkKey). */
export function chirpStackRegistration(d: RegistrationInput, o: ChirpStackOptions): object {
  return {
    device: {
      devEui: d.devEui.toLowerCase(),
      name: `tram-${d.vehicleId}`,
      description: `HAVAG tram ${d.vehicleId}, occupancy gateway`,
      applicationId: o.applicationId,
      deviceProfileId: o.deviceProfileId,
      joinEui: d.joinEui.toLowerCase(),
      skipFcntCheck: false,
      isDisabled: false,
      tags: { vehicle: d.vehicleId },
    },
    deviceKeys: { devEui: d.devEui.toLowerCase(), nwkKey: d.appKey.toLowerCase(), appKey: '00000000000000000000000000000000' },
  };
}

export interface TtsOptions {
  applicationId: string;
  frequencyPlanId: string;
}

/** The Things Stack v3 end device (LoRaWAN 1.0.3, OTAA, EU868). */
export function ttsRegistration(d: RegistrationInput, o: TtsOptions): object {
  return {
    ids: {
      device_id: `tram-${d.vehicleId}`,
      dev_eui: d.devEui.toUpperCase(),
      join_eui: d.joinEui.toUpperCase(),
      application_ids: { application_id: o.applicationId },
    },
    name: `HAVAG tram ${d.vehicleId}`,
    attributes: { vehicle: d.vehicleId },
    lorawan_version: 'MAC_V1_0_3',
    lorawan_phy_version: 'PHY_V1_0_3_REV_A',
    frequency_plan_id: o.frequencyPlanId,
    supports_join: true,
    root_keys: { app_key: { key: d.appKey.toUpperCase() } },
  };
}

export function writeRegistration(dir: string, name: string, body: object): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}
