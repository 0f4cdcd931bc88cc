/**
 * The install helper for the tram's Raspberry Pi: the files `occupancy provision install-files`
 * writes, for a technician to copy to the Pi and run once as root. `install.sh` creates the service
 * user (in group dialout, for the serial ports), the directories (software, config and secrets,
 * outbox), installs the udev rules and the systemd unit and reloads both. The udev rules give each
 * device a stable name, /dev/tram-doors, /dev/tram-ibis, /dev/tram-camera and /dev/tram-modem (what
 * `provision new` puts in the config), by matching the device's link under /dev/serial/by-id, which
 * names the USB adapter by its vendor, model and serial number and so survives re-plugging into
 * another socket.
 */
import { ConfigError } from '../common/errors.js';
import { gatewayUnit } from './systemd.js';

export interface InstallDevices {
  /** Names under /dev/serial/by-id (or the full path) of each USB serial device; a kernel name (ttyAMA0) for an on-board UART. */
  doorBoard?: string;
  ibis?: string;
  camera?: string;
  modem?: string;
}

export interface InstallOptions {
  user: string;
  installDir: string;
  configPath: string;
  secretsPath: string;
  stateDir: string;
  node: string;
  devices: InstallDevices;
}

export const STABLE_NAMES: Readonly<Record<keyof InstallDevices, string>> = { doorBoard: 'tram-doors', ibis: 'tram-ibis', camera: 'tram-camera', modem: 'tram-modem' };
const WHAT: Readonly<Record<keyof InstallDevices, string>> = { doorBoard: 'door board', ibis: 'vehicle bus (IBIS) level shifter', camera: 'camera counter', modem: 'LoRaWAN modem' };

const BY_ID_NAME = /^[A-Za-z0-9._:+-]+$/;
const KERNEL_NAME = /^tty[A-Za-z]+[0-9]+$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

/** One udev rule for a device, or a comment saying how to give it. */
function deviceRule(key: keyof InstallDevices, given: string | undefined): string {
  const name = STABLE_NAMES[key];
  if (!given) return `# ${WHAT[key]}: not given (plug it in, \`ls /dev/serial/by-id/\`, then --${key === 'doorBoard' ? 'door-board' : key} <that name>)`;
  const id = given.replace(/^\/dev\/serial\/by-id\//, '').replace(/^\/dev\//, '');
  const access = `SYMLINK+="${name}", GROUP="dialout", MODE="0660"`;
  if (KERNEL_NAME.test(id)) return `# ${WHAT[key]} on the Pi's own UART\nKERNEL=="${id}", SUBSYSTEM=="tty", ${access}`;
  if (!BY_ID_NAME.test(id)) throw new ConfigError(`--${key}`, `"${given}" is not a name from /dev/serial/by-id (letters, digits and . _ : + - only)`);
  return `# ${WHAT[key]}\nSUBSYSTEM=="tty", SYMLINK=="serial/by-id/${id}", ${access}`;
}

export function udevRules(devices: InstallDevices): string {
  const rules = (Object.keys(STABLE_NAMES) as Array<keyof InstallDevices>).map((k) => deviceRule(k, devices[k]));
  return `# HAVAG tram occupancy gateway: stable names for its serial devices (written by \`occupancy provision install-files\`).
# Matched by their /dev/serial/by-id links (made by the system's 60-serial rules before this file runs),
# so a device keeps its name whichever USB socket it is in. Group dialout: the service user reads them.
${rules.join('\n')}
`;
}

export function installScript(o: InstallOptions): string {
  return `#!/bin/sh
# Installs the HAVAG tram occupancy gateway's system parts on this Raspberry Pi; run once as root
# from the folder it is in:  sudo sh install.sh
# Written by \`occupancy provision install-files\`. Safe to run again. ROOT=/some/dir installs the
# files under that folder instead of / (for an image being built; users and reloads still run here).
set -eu
ROOT="\${ROOT:-}"
here=$(cd "$(dirname "$0")" && pwd)
user=${o.user}

echo "service user $user (group dialout for the serial ports)"
if getent passwd "$user" >/dev/null; then
  usermod -a -G dialout "$user"
else
  useradd --system --user-group --no-create-home --home-dir ${o.stateDir} --shell /usr/sbin/nologin --groups dialout "$user"
fi

echo "directories"
install -d -m 0755 "$ROOT${o.installDir}"
install -d -m 0750 "$ROOT${dirOf(o.configPath)}"
chown "root:$user" "$ROOT${dirOf(o.configPath)}"
install -d -m 0750 "$ROOT${o.stateDir}"
chown "$user:$user" "$ROOT${o.stateDir}"
if [ -f "$ROOT${o.secretsPath}" ]; then
  chown "$user:$user" "$ROOT${o.secretsPath}"
  chmod 600 "$ROOT${o.secretsPath}"
fi

echo "udev rules: /dev/${STABLE_NAMES.doorBoard}, /dev/${STABLE_NAMES.ibis}, /dev/${STABLE_NAMES.camera}, /dev/${STABLE_NAMES.modem}"
install -d -m 0755 "$ROOT/etc/udev/rules.d"
install -m 0644 "$here/99-tram-occupancy.rules" "$ROOT/etc/udev/rules.d/99-tram-occupancy.rules"
udevadm control --reload-rules
udevadm trigger --subsystem-match=tty --action=add

echo "systemd unit"
install -d -m 0755 "$ROOT/etc/systemd/system"
install -m 0644 "$here/tram-occupancy.service" "$ROOT/etc/systemd/system/tram-occupancy.service"
systemctl daemon-reload

echo "done. Next: software to ${o.installDir}, config to ${o.configPath}, secrets to ${o.secretsPath}, then"
echo "  systemctl enable --now tram-occupancy"
`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** The files to write: name -> [content, mode]. */
export function installFiles(o: InstallOptions): Record<string, [string, number]> {
  if (!USER_NAME.test(o.user)) throw new ConfigError('--user', `"${o.user}" is not a valid user name`);
  for (const [flag, path] of [['--install-dir', o.installDir], ['--config', o.configPath], ['--secrets', o.secretsPath], ['state directory', o.stateDir]] as const) {
    if (!SAFE_PATH.test(path)) throw new ConfigError(flag, `"${path}" must be an absolute path of letters, digits and . _ / - only`);
  }
  return {
    'install.sh': [installScript(o), 0o755],
    '99-tram-occupancy.rules': [udevRules(o.devices), 0o644],
    'tram-occupancy.service': [gatewayUnit({ installDir: o.installDir, configPath: o.configPath, secretsPath: o.secretsPath, user: o.user, node: o.node }), 0o644],
  };
}
