/**
 * `occupancy backend`: the receiving side as a service. Subscribes to the network server's broker
 * (ChirpStack v4 or The Things Stack v3), keeps every report once in its store (SQLite file or
 * PostgreSQL), acknowledges by downlink, and serves the public feeds and the operator's
 * /healthz and /metrics; runs until SIGINT/SIGTERM. A bad option or a port in use ends the start
 * with one line and a non-zero exit. Logs counts, never payloads or identifiers.
 */
import type { Command } from 'commander';
import { SystemClock } from '../common/clock.js';
import { configureLogging, moduleLogger } from '../common/log.js';
import { startBackend } from './ops/start-backend.js';
import { startPublicServer } from './publish/http-server.js';
import { OccupancyBoard } from './publish/occupancy-board.js';

const log = moduleLogger('backend');

interface BackendOptions {
  broker: string;
  server: string;
  application?: string;
  share?: string;
  store: string;
  username?: string;
  clientId?: string;
  http?: number;
  httpHost: string;
  ops?: number;
  opsHost: string;
  fleet?: string;
  vehicleTypes?: string;
  maxDevices?: number;
}

const port = (option: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${option}: expected a port number (0-65535), got ${v}`);
  return n;
};

export function registerBackendCommands(program: Command): void {
  program
    .command('backend')
    .description('receive uplinks from the network server over MQTT, store each report once, acknowledge by downlink (docs/backend.md)')
    .requiredOption('--broker <url>', 'MQTT broker of the network server, e.g. mqtt://localhost:1883 (mqtts:// for TLS)')
    .option('--server <kind>', 'chirpstack (v4) or tts (The Things Stack v3)', 'chirpstack')
    .option('--application <id>', 'ChirpStack application id or TTS app@tenant (default: all)')
    .option('--share <group>', 'MQTT shared subscription group, to share uplinks among instances (ChirpStack only; give each instance its own --client-id)')
    .option('--store <file|url>', 'SQLite file of received reports, or postgres://user@host/db for PostgreSQL (password from PGPASSWORD)', 'reports.db')
    .option('--username <name>', 'MQTT user name (password from MQTT_PASSWORD)')
    .option('--client-id <id>', 'MQTT client id; ChirpStack keeps a persistent session under it (default: occupancy-backend-<hostname>)')
    .option('--http <port>', 'serve GTFS-RT, open-data JSON and a live board on this port', port('--http'))
    .option('--http-host <address>', 'address to serve on', '127.0.0.1')
    .option('--ops <port>', 'serve /healthz and /metrics (Prometheus) on this port', port('--ops'))
    .option('--ops-host <address>', 'address for /healthz and /metrics', '127.0.0.1')
    .option('--fleet <inventory>', 'fleet inventory (occupancy provision): only its devices are admitted (allowlist), fleet numbers published')
    .option('--vehicle-types <yaml>', 'vehicle types file (capacities for the plausibility bounds; default: the shipped one)')
    .option('--max-devices <n>', 'without --fleet: admit at most this many distinct devices (default 1000)', (v) => Number(v))
    .action(async (opts: BackendOptions) => {
      configureLogging({ level: (process.env['LOG_LEVEL'] as 'info' | undefined) ?? 'info' });
      const clock = new SystemClock();
      // The board needs the fleet numbers, which only exist once the backend has read the inventory.
      let vehicleOf: (devEui: string) => string | undefined = () => undefined;
      const board = new OccupancyBoard((devEui) => vehicleOf(devEui) ?? devEui);
      const backend = await startBackend(
        {
          broker: opts.broker,
          server: opts.server,
          application: opts.application,
          share: opts.share,
          store: opts.store,
          username: opts.username,
          password: process.env['MQTT_PASSWORD'],
          clientId: opts.clientId,
          fleet: opts.fleet,
          vehicleTypes: opts.vehicleTypes,
          maxDevices: opts.maxDevices,
          ops: opts.ops,
          opsHost: opts.opsHost,
        },
        clock,
        { report: () => undefined, live: (devEui, live, at) => board.live(devEui, live, at) },
        opts.http !== undefined ? [{ option: '--http', port: opts.http, host: opts.httpHost, start: () => startPublicServer(board, clock, opts.http!, opts.httpHost) }] : [],
      );
      vehicleOf = backend.vehicleOf;
      if (opts.http !== undefined) log.info({ port: opts.http }, 'serving GTFS-RT and open data');
      if (backend.opsPort !== undefined) log.info({ port: backend.opsPort }, 'serving /healthz and /metrics');
      const stats = setInterval(() => log.info({ ...backend.processor.counters, ...backend.ingest.counters }, 'backend counters'), 600_000);
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
      });
      clearInterval(stats);
      await backend.processor.idle();
      await backend.stop();
      log.info({ ...backend.processor.counters }, 'backend stopped');
    });
}
