/**
 * `occupancy backend`: the receiving side as a service. Subscribes to the network server's broker
 * (ChirpStack v4 or The Things Stack v3), keeps every report once in its store (SQLite file or
 * PostgreSQL), acknowledges by downlink, and serves the public feeds and the operator's
 * /healthz and /metrics; runs until SIGINT/SIGTERM. A bad option or a port in use ends the start
 * with one line and a non-zero exit. Logs counts, never payloads or identifiers.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { SystemClock } from '../common/clock.js';
import { ConfigError } from '../common/errors.js';
import { configureLogging, moduleLogger } from '../common/log.js';
import { FleetInventory } from '../contracts/fleet-inventory.js';
import { listenError, startBackend } from './ops/start-backend.js';
import type { ReportConsumer } from './ingest/uplink-processor.js';
import { Publishing } from './publish/publishing.js';

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
  inventory?: string;
  vehicleTypes?: string;
  maxDevices?: number;
  dashboard?: number;
  gtfs?: string;
  replay?: boolean;
  openDataMinTrips?: number;
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
    .option('--inventory <file>', 'fleet inventory (occupancy provision): only its devices are admitted (allowlist) and published, by fleet number')
    .addOption(new Option('--fleet <file>', 'old name of --inventory').hideHelp())
    .option('--vehicle-types <yaml>', 'vehicle types file (capacities for the plausibility bounds; default: the shipped one)')
    .option('--max-devices <n>', 'without --inventory: admit at most this many distinct devices (default 1000)', (v) => Number(v))
    .option('--dashboard <port>', 'serve the staff pages (heatmap, fleet health, history API) and everything public on this port', port('--dashboard'))
    .option('--gtfs <dir>', 'static GTFS feed (stops, routes, trips, stop_times, calendar) to match vehicles to trips and stops')
    .option('--replay', 'the feeds\' clock follows the newest event (for bench feeds and replays of past days)')
    .option('--open-data-min-trips <k>', 'open data: least trips per published cell', (v) => Number(v), 5)
    .action(async (opts: BackendOptions) => {
      configureLogging({ level: (process.env['LOG_LEVEL'] as 'info' | undefined) ?? 'info' });
      if (opts.openDataMinTrips === undefined || !Number.isInteger(opts.openDataMinTrips) || opts.openDataMinTrips < 2) throw new ConfigError('--open-data-min-trips', 'expected a whole number of at least 2');
      if (opts.fleet !== undefined) {
        if (opts.inventory !== undefined) throw new ConfigError('--fleet', 'give --inventory only (--fleet is its old name)');
        log.warn('--fleet is the old name of --inventory: use --inventory (docs/cli.md)');
      }
      const inventoryFile = opts.inventory ?? opts.fleet;
      if (inventoryFile && !existsSync(inventoryFile)) throw new ConfigError('--inventory', `${inventoryFile} does not exist (the inventory that occupancy provision keeps)`);
      const clock = new SystemClock();
      const fleetEntries = () => {
        if (!inventoryFile) return [];
        const inventory = new FleetInventory(inventoryFile);
        const list = inventory.list();
        inventory.close();
        return list;
      };
      // The store, the trust and the broker first (they check the options); the pages then read that
      // store. Until they are up, uplinks are stored and acknowledged, only not yet on the board.
      let publishing: Publishing | undefined;
      const consumer: ReportConsumer = {
        report: (devEui, report, at) => publishing?.report(devEui, report, at),
        live: (devEui, live, at) => publishing?.live(devEui, live, at),
        health: (devEui, health, at) => publishing?.health(devEui, health, at),
      };
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
          fleet: inventoryFile,
          vehicleTypes: opts.vehicleTypes,
          maxDevices: opts.maxDevices,
          ops: opts.ops,
          opsHost: opts.opsHost,
        },
        clock,
        consumer,
      );
      try {
        publishing = await Publishing.start(
          {
            http: opts.http, dashboard: opts.dashboard, host: opts.httpHost, gtfsDir: opts.gtfs, store: backend.store, accepts: (devEui) => backend.trust.accepts(devEui),
            fleet: fleetEntries, replay: opts.replay, minTrips: opts.openDataMinTrips,
          },
          clock,
        );
        // The fleet's health is written after the last uplink, before the store closes.
        backend.beforeStoreCloses(() => publishing?.close());
      } catch (error) {
        await backend.stop();
        const both = opts.http !== undefined && opts.dashboard !== undefined;
        throw listenError(error, both ? '--http or --dashboard' : opts.dashboard !== undefined ? '--dashboard' : '--http', both ? `${opts.http}/${opts.dashboard}` : (opts.dashboard ?? opts.http ?? 0), opts.httpHost);
      }
      if (publishing.servers.length) log.info({ http: opts.http, dashboard: opts.dashboard }, 'serving GTFS-RT, open data and pages');
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
