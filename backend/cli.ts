/**
 * `occupancy backend`: the receiving side as a service. Subscribes to the network server's broker
 * (ChirpStack v4 or The Things Stack v3), keeps every report once in its SQLite store, and
 * acknowledges by downlink; runs until SIGINT/SIGTERM. Logs counts, never payloads or identifiers.
 */
import type { Command } from 'commander';
import mqtt from 'mqtt';
import { SystemClock } from '../common/clock.js';
import { ConfigError } from '../common/errors.js';
import { configureLogging, moduleLogger } from '../common/log.js';
import { MqttIngest, type NetworkServerKind } from './ingest/mqtt-ingest.js';
import { UplinkProcessor } from './ingest/uplink-processor.js';
import { SqliteReportStore } from './store/report-store.js';
import { Publishing } from './publish/publishing.js';
import { FleetInventory } from '../provisioning/inventory.js';

const log = moduleLogger('backend');

interface BackendOptions {
  broker: string;
  server: string;
  application?: string;
  share?: string;
  store: string;
  username?: string;
  http?: number;
  httpHost: string;
  fleet?: string;
  dashboard?: number;
  gtfs?: string;
  replay?: boolean;
  openDataMinTrips?: number;
}

export function registerBackendCommands(program: Command): void {
  program
    .command('backend')
    .description('receive uplinks from the network server over MQTT, store each report once, acknowledge by downlink')
    .requiredOption('--broker <url>', 'MQTT broker of the network server, e.g. mqtt://localhost:1883')
    .option('--server <kind>', 'chirpstack (v4) or tts (The Things Stack v3)', 'chirpstack')
    .option('--application <id>', 'ChirpStack application id or TTS app@tenant (default: all)')
    .option('--share <group>', 'MQTT shared subscription group, to share uplinks among instances')
    .option('--store <file>', 'SQLite file of received reports', 'reports.db')
    .option('--username <name>', 'MQTT user name (password from MQTT_PASSWORD)')
    .option('--http <port>', 'serve GTFS-RT, open-data JSON and a live board on this port', (v) => Number(v))
    .option('--http-host <address>', 'address to serve on', '127.0.0.1')
    .option('--fleet <inventory>', 'fleet inventory (occupancy provision): only its vehicles are published, by fleet number')
    .option('--dashboard <port>', 'serve the staff pages (heatmap, fleet health, history API) and everything public on this port', (v) => Number(v))
    .option('--gtfs <dir>', 'static GTFS feed (stops, routes, trips, stop_times, calendar) to match vehicles to trips and stops')
    .option('--replay', 'the feeds\' clock follows the newest event (for bench feeds and replays of past days)')
    .option('--open-data-min-trips <k>', 'open data: least trips per published cell', (v) => Number(v), 5)
    .action(async (opts: BackendOptions) => {
      configureLogging({ level: (process.env['LOG_LEVEL'] as 'info' | undefined) ?? 'info' });
      if (opts.server !== 'chirpstack' && opts.server !== 'tts') throw new ConfigError('--server', `expected chirpstack or tts, got ${opts.server}`);
      if (opts.openDataMinTrips === undefined || !Number.isInteger(opts.openDataMinTrips) || opts.openDataMinTrips < 2) throw new ConfigError('--open-data-min-trips', 'expected a whole number of at least 2');
      const clock = new SystemClock();
      const client = await mqtt.connectAsync(opts.broker, {
        ...(opts.username ? { username: opts.username, password: process.env['MQTT_PASSWORD'] ?? '' } : {}),
      });
      const store = new SqliteReportStore(opts.store);
      const ingest = new MqttIngest(client, clock, {
        server: opts.server as NetworkServerKind,
        ...(opts.application ? { application: opts.application } : {}),
        ...(opts.share ? { shareGroup: opts.share } : {}),
      });
      const fleetEntries = () => {
        if (!opts.fleet) return [];
        const inventory = new FleetInventory(opts.fleet);
        const list = inventory.list();
        inventory.close();
        return list;
      };
      const publishing = await Publishing.start(
        { http: opts.http, dashboard: opts.dashboard, host: opts.httpHost, gtfsDir: opts.gtfs, storePath: opts.store, fleet: fleetEntries, replay: opts.replay, minTrips: opts.openDataMinTrips },
        clock,
      );
      const processor = new UplinkProcessor(clock, publishing, ingest, { store });
      if (publishing.servers.length) log.info({ http: opts.http, dashboard: opts.dashboard }, 'serving GTFS-RT, open data and pages');
      ingest.attach(processor);
      await ingest.start();
      const stats = setInterval(() => log.info({ ...processor.counters, ...ingest.counters }, 'backend counters'), 600_000);
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
      });
      clearInterval(stats);
      await publishing.close();
      processor.close();
      await client.endAsync();
      store.close();
      log.info({ ...processor.counters }, 'backend stopped');
    });
}
