/**
 * The systemd unit that runs the gateway on the tram's Raspberry Pi, from the compiled vehicle
 * image (`npm run build`, docs/vehicle-image.md) with plain node. It restarts the gateway after a
 * failure (a start that failed, a crash, a watchdog timeout) but not after a clean stop; the
 * gateway tells systemd when it is ready and feeds the watchdog while its send loop runs
 * (gateway/service-notify.ts: through systemd-notify, hence NotifyAccess=all). It runs as its own
 * user with the serial ports by group (dialout), writes only its outbox folder, and sees as little
 * of the system as the radio, the serial lines and the model need.
 */
import { unitEnvironment, VEHICLE_NODE_FLAGS } from '../gateway/node-runtime.js';

export interface UnitOptions {
  /** Where the vehicle image is unpacked (the folder with gateway/main.js and node_modules). */
  installDir: string;
  configPath: string;
  secretsPath: string;
  user: string;
  /** The node binary on the vehicle (Raspberry Pi OS: /usr/bin/node). */
  node: string;
  /** The folder of the outbox file (uplink.outboxPath): the only place the service writes. */
  outboxDir?: string;
  /** BLE scanning (sources.radio.ble): raw HCI sockets need CAP_NET_RAW and CAP_NET_ADMIN. */
  ble?: boolean;
  /** WiFi probe capture (sources.radio.wifiCommand): packet sockets. */
  wifi?: boolean;
  /** The modem's reset line through libgpiod (modem.resetCommand): the gpio group and /dev/gpiochip*. */
  gpio?: boolean;
  /** systemd restarts the gateway when it has not fed the watchdog for this long. */
  watchdogSec?: number;
  /** The vehicle's architecture as node names it (where libjemalloc2 lies): arm64 on the Pi. */
  arch?: string;
}

const STATE_DIR = '/var/lib/tram-occupancy';

export function gatewayUnit(o: UnitOptions): string {
  const outboxDir = o.outboxDir ?? STATE_DIR;
  const groups = ['dialout', ...(o.gpio ? ['gpio'] : [])];
  const families = ['AF_UNIX', 'AF_NETLINK', ...(o.ble ? ['AF_BLUETOOTH'] : []), ...(o.wifi ? ['AF_PACKET'] : [])];
  const caps = [...(o.ble || o.wifi ? ['CAP_NET_RAW', 'CAP_NET_ADMIN'] : [])];
  const lines = [
    '[Unit]',
    'Description=HAVAG tram occupancy gateway',
    `Documentation=file://${o.installDir}/README.md`,
    // Never give up restarting: a tram runs for years without anyone at the console.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=notify',
    // READY and WATCHDOG come from systemd-notify, a child of the gateway.
    'NotifyAccess=all',
    // Node's flags and malloc settings for a 1 GB Pi: gateway/node-runtime.ts.
    `ExecStart=${o.node} ${VEHICLE_NODE_FLAGS.join(' ')} ${o.installDir}/gateway/main.js gateway --config ${o.configPath} --secrets ${o.secretsPath}`,
    `WorkingDirectory=${o.installDir}`,
    `User=${o.user}`,
    `Group=${o.user}`,
    `SupplementaryGroups=${groups.join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5',
    `WatchdogSec=${o.watchdogSec ?? 30}`,
    // Loading the model and configuring the modem (a dozen commands, 3 s each at worst).
    'TimeoutStartSec=90',
    // The gateway stops within 4 s on its own (gateway/run-vehicle.ts); SIGKILL after this.
    'TimeoutStopSec=10',
    'Environment=NODE_ENV=production',
    // jemalloc preloaded (Debian's libjemalloc2) and glibc's settings for when it is missing: gateway/node-runtime.ts.
    ...Object.entries(unitEnvironment(o.arch)).map(([k, v]) => `Environment=${k}=${v}`),
    'StateDirectory=tram-occupancy',
    'StateDirectoryMode=0750',
    'UMask=0077',
    // The whole file system read-only but the outbox folder; no home folders, a private /tmp.
    'ProtectSystem=strict',
    ...(outboxDir !== STATE_DIR ? [`ReadWritePaths=${outboxDir}`] : []),
    'ProtectHome=true',
    'PrivateTmp=true',
    'NoNewPrivileges=true',
    // Devices: the serial lines (the udev links /dev/tram-* point at these) and, for the reset line, GPIO.
    'DevicePolicy=closed',
    'DeviceAllow=char-ttyS rw',
    'DeviceAllow=char-ttyUSB rw',
    'DeviceAllow=char-ttyACM rw',
    'DeviceAllow=char-ttyAMA rw',
    ...(o.gpio ? ['DeviceAllow=char-gpiochip rw'] : []),
    ...(caps.length > 0 ? [`AmbientCapabilities=${caps.join(' ')}`, `CapabilityBoundingSet=${caps.join(' ')}`] : ['CapabilityBoundingSet=']),
    // No IP at all: LoRaWAN goes through the modem's serial line.
    `RestrictAddressFamilies=${families.join(' ')}`,
    'ProtectKernelTunables=true',
    'ProtectKernelModules=true',
    'ProtectKernelLogs=true',
    'ProtectControlGroups=true',
    'ProtectClock=true',
    'ProtectHostname=true',
    'RestrictNamespaces=true',
    'RestrictRealtime=true',
    'RestrictSUIDSGID=true',
    'LockPersonality=true',
    'SystemCallArchitectures=native',
    // Not MemoryDenyWriteExecute: V8's JIT needs writable code pages.
    // The gateway needs about 115 MB (npm run bench); a leak must not take the Pi's 1 GB with it.
    'MemoryHigh=200M',
    'MemoryMax=300M',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
