/**
 * The systemd unit that runs the gateway on the tram's Raspberry Pi: restarts after a crash or a
 * power cut, as an unprivileged user in the dialout group (serial ports), with its state directory
 * for the outbox. Hardening options keep a compromised agent away from the rest of the system.
 */

export interface UnitOptions {
  installDir: string;
  configPath: string;
  secretsPath: string;
  user: string;
  node: string;
}

export function gatewayUnit(o: UnitOptions): string {
  return `[Unit]
Description=HAVAG tram occupancy gateway
Documentation=file://${o.installDir}/docs/technician-guide.md
After=network.target
StartLimitIntervalSec=0

[Service]
Type=simple
User=${o.user}
Group=${o.user}
SupplementaryGroups=dialout
WorkingDirectory=${o.installDir}
ExecStart=${o.node} ${o.installDir}/bin/occupancy.mjs gateway --config ${o.configPath} --secrets ${o.secretsPath}
Restart=always
RestartSec=5
StateDirectory=tram-occupancy
Environment=NODE_ENV=production
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=/var/lib/tram-occupancy
PrivateTmp=true
DeviceAllow=char-ttyS rw
DeviceAllow=char-ttyUSB rw
DeviceAllow=char-ttyACM rw
DeviceAllow=char-ttyAMA rw

[Install]
WantedBy=multi-user.target
`;
}
