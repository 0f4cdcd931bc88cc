/**
 * Registration of the whole fleet with the network server, in the forms the servers take in:
 * The Things Stack v3's end-device import file (a JSON stream of EndDevice objects, for the
 * Console's "Import end devices" or `ttn-lw-cli end-devices create`), and ChirpStack v4's REST API
 * (one JSON file with the device and device-keys request bodies per vehicle, and a shell script
 * that POSTs them with curl). Application and device-profile ids must be the real ones: a
 * placeholder or an all-zero id is refused, since a registration that cannot be imported is worse
 * than none. The files carry AppKeys: written mode 600, for the network operator only.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../common/errors.js';
import { chirpStackRegistration, ttsRegistration, type RegistrationInput } from './registration.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The Things Stack's identifier rule (lowercase letters, digits, single dashes; 3 to 36 characters). */
const TTS_ID = /^[a-z0-9](?:-?[a-z0-9]){2,35}$/;
const PLACEHOLDER = /(example|placeholder|changeme|change-me|your-|my-app|todo|xxx)/i;

/** A ChirpStack id (application or device profile): a UUID as the server made it, never the nil UUID. */
export function checkChirpStackId(flag: string, id: string | undefined): string {
  if (!id) throw new ConfigError(flag, 'required: copy it from the ChirpStack web interface (a UUID)');
  if (!UUID.test(id)) throw new ConfigError(flag, `"${id}" is not a ChirpStack id (a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6, from the web interface)`);
  if (/^[0-]+$/.test(id)) throw new ConfigError(flag, 'the all-zero UUID is a placeholder, not a ChirpStack id: copy the real one from the web interface');
  return id.toLowerCase();
}

/** A The Things Stack application id, as its console shows it. */
export function checkTtsApplicationId(flag: string, id: string | undefined): string {
  if (!id) throw new ConfigError(flag, 'required: the application id in The Things Stack console');
  if (!TTS_ID.test(id)) throw new ConfigError(flag, `"${id}" is not a The Things Stack id (lowercase letters, digits and single dashes, 3 to 36 characters)`);
  if (PLACEHOLDER.test(id)) throw new ConfigError(flag, `"${id}" looks like a placeholder: give the real application id from the console`);
  return id;
}

export interface TtsFleetOptions {
  applicationId: string;
  frequencyPlanId: string;
}

/** The Things Stack end-device import file: one EndDevice object per vehicle, as a JSON stream. */
export function ttsImportFile(devices: readonly RegistrationInput[], o: TtsFleetOptions): string {
  const applicationId = checkTtsApplicationId('--application-id', o.applicationId);
  return devices.map((d) => JSON.stringify(ttsRegistration(d, { applicationId, frequencyPlanId: o.frequencyPlanId }), null, 2)).join('\n') + '\n';
}

export interface ChirpStackFleetOptions {
  applicationId: string;
  deviceProfileId: string;
}

/** The request bodies of ChirpStack v4's REST API: POST /api/devices and POST /api/devices/{devEui}/keys. */
export function chirpStackRequests(devices: readonly RegistrationInput[], o: ChirpStackFleetOptions): Array<{ devEui: string; device: object; deviceKeys: object }> {
  const applicationId = checkChirpStackId('--application-id', o.applicationId);
  const deviceProfileId = checkChirpStackId('--device-profile-id', o.deviceProfileId);
  return devices.map((d) => {
    const body = chirpStackRegistration(d, { applicationId, deviceProfileId }) as { device: object; deviceKeys: object };
    return { devEui: d.devEui.toLowerCase(), device: { device: body.device }, deviceKeys: { deviceKeys: body.deviceKeys } };
  });
}

/**
 * A script that registers every device through ChirpStack's REST API with curl: the server from
 * $CHIRPSTACK_URL (e.g. http://chirpstack:8090, the chirpstack-rest-api proxy) and an API key from
 * $CHIRPSTACK_API_TOKEN. It posts the bodies from the files beside it (`<devEui>-device.json`,
 * `<devEui>-keys.json`), so keys stay out of the script and out of the process list.
 */
export function chirpStackScript(): string {
  return `#!/bin/sh
# Registers the HAVAG tram gateways in ChirpStack v4 through its REST API.
# Written by \`occupancy provision export --network chirpstack\`. Needs curl.
#   CHIRPSTACK_URL=http://chirpstack:8090 CHIRPSTACK_API_TOKEN=... sh ./register.sh
# Each device is created (POST /api/devices), then gets its root key (POST /api/devices/{devEui}/keys).
# Exit status: the number of devices that failed (the server's answer is printed for each).
set -u
: "\${CHIRPSTACK_URL:?set CHIRPSTACK_URL, e.g. http://chirpstack:8090}"
: "\${CHIRPSTACK_API_TOKEN:?set CHIRPSTACK_API_TOKEN (an API key from the ChirpStack web interface)}"
here=$(dirname "$0")
answer=$(mktemp)
trap 'rm -f "$answer"' EXIT
post() {
  curl -sS -o "$answer" -w '%{http_code}' -X POST \\
    -H 'Content-Type: application/json' -H 'Accept: application/json' \\
    -H "Grpc-Metadata-Authorization: Bearer $CHIRPSTACK_API_TOKEN" \\
    --data-binary @"$2" "\${CHIRPSTACK_URL%/}$1"
}
failed=0
for body in "$here"/*-device.json; do
  eui=$(basename "$body" -device.json)
  code=$(post /api/devices "$body")
  if [ "$code" = 200 ]; then code=$(post "/api/devices/$eui/keys" "$here/$eui-keys.json"); step=keys; else step=create; fi
  if [ "$code" = 200 ]; then
    echo "device $eui: registered"
  else
    echo "device $eui: $step failed (HTTP $code): $(cat "$answer")" >&2
    failed=$((failed + 1))
  fi
done
exit "$failed"
`;
}

/** Writes a file only its owner may read (it carries keys). */
export function writePrivate(dir: string, name: string, text: string, mode = 0o600): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}
