/**
 * Starts the backend service from its command-line options, in an order that fails fast: options
 * and files are checked, the store is opened and the HTTP ports are bound before the broker is
 * contacted, so that a wrong option or a port in use ends the start with one clear line and
 * nothing left running. Then the MQTT client connects (persistent session for ChirpStack) with the
 * ingest already in place. `stop()` closes everything in reverse order.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import mqtt from 'mqtt';
import type { Clock } from '../../common/clock.js';
import { ConfigError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import { FleetInventory } from '../../contracts/fleet-inventory.js';
import { DeviceTrust, type FleetVehicle } from '../ingest/device-trust.js';
import { connected, ingestConnectOptions, MqttIngest, type NetworkServerKind } from '../ingest/mqtt-ingest.js';
import { UplinkProcessor, type ReportConsumer } from '../ingest/uplink-processor.js';
import { capacitiesByType } from '../ingest/vehicle-capacities.js';
import { PostgresReportStore } from '../store/postgres-store.js';
import { SqliteReportStore, type ReportStore } from '../store/report-store.js';
import { startOpsServer } from './ops-server.js';
import type { MetricsSources } from './metrics.js';

const log = moduleLogger('backend.start');

export interface BackendSettings {
  broker: string;
  server: string;
  application?: string | undefined;
  share?: string | undefined;
  /** SQLite file, or postgres:// URL. */
  store: string;
  username?: string | undefined;
  password?: string | undefined;
  clientId?: string | undefined;
  fleet?: string | undefined;
  vehicleTypes?: string | undefined;
  maxDevices?: number | undefined;
  /** Operations port (/healthz, /metrics); undefined: none. */
  ops?: number | undefined;
  opsHost?: string | undefined;
  connectTimeoutMs?: number | undefined;
}

export interface RunningBackend {
  processor: UplinkProcessor;
  ingest: MqttIngest;
  store: ReportStore;
  trust: DeviceTrust;
  /** The vehicle behind a device (fleet number), where the inventory knows it. */
  vehicleOf(devEui: string): string | undefined;
  opsPort: number | undefined;
  sources(): Promise<MetricsSources>;
  /** `close` runs at the stop once the broker session and the processor are closed, before the store is (for what writes to the store: the fleet's health). */
  beforeStoreCloses(close: () => Promise<void> | void): void;
  /** Closes the MQTT session, the HTTP servers and the store, in reverse order of opening. */
  stop(): Promise<void>;
}

const SCHEMES = ['mqtt', 'mqtts', 'tcp', 'tls', 'ssl', 'ws', 'wss'];

/** The broker URL, checked: a scheme is required (mqtt.js reads "host:1883" as protocol "host:"). */
export function brokerUrl(raw: string): URL {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new ConfigError('--broker', `"${raw}" has no scheme: write mqtt://${raw} (or mqtts://, ws://, wss://)`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('--broker', `"${raw}" is not a URL`);
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!SCHEMES.includes(scheme)) throw new ConfigError('--broker', `scheme ${scheme}:// is not an MQTT transport: use one of ${SCHEMES.map((s) => `${s}://`).join(', ')}`);
  if (!url.hostname) throw new ConfigError('--broker', `"${raw}" names no host`);
  return url;
}

/** A store location as it may be logged: a PostgreSQL URL without its password. */
export function storeLabel(store: string): string {
  return /^postgres(ql)?:\/\//i.test(store) ? store.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') : store;
}

/** A listen error as one line that names the option, the port and what to do. */
export function listenError(error: unknown, option: string, port: number | string, host: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`${option}: port ${port} on ${host} is in use: choose another port or stop what listens there`);
  if (code === 'EACCES') return new Error(`${option}: no permission to listen on port ${port} on ${host} (ports below 1024 need privileges)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new Error(`${option}: cannot listen on ${host}: no such address on this machine`);
  return error as Error;
}

/** `extraServers` (e.g. the public one) are bound before the broker is contacted, and closed by stop(). */
export async function startBackend(
  settings: BackendSettings,
  clock: Clock,
  consumer: ReportConsumer,
  extraServers: Array<{ option: string; port: number; host: string; start(): Promise<Server> }> = [],
): Promise<RunningBackend> {
  if (settings.server !== 'chirpstack' && settings.server !== 'tts') throw new ConfigError('--server', `expected chirpstack or tts, got ${settings.server}`);
  const server = settings.server as NetworkServerKind;
  if (server === 'tts' && settings.share) throw new ConfigError('--share', 'The Things Stack does not allow shared subscriptions ($share): run one backend instance per TTS application');
  const url = brokerUrl(settings.broker);
  if (settings.maxDevices !== undefined && !(Number.isInteger(settings.maxDevices) && settings.maxDevices > 0)) throw new ConfigError('--max-devices', 'expected a whole number above 0');

  const closers: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    let fleet: Map<string, FleetVehicle> | undefined;
    if (settings.fleet) {
      if (!existsSync(settings.fleet)) throw new ConfigError('--inventory', `${settings.fleet} does not exist (the inventory that occupancy provision keeps)`);
      const inventory = new FleetInventory(settings.fleet);
      fleet = new Map(inventory.list().map((v) => [v.devEui.toLowerCase(), { vehicleId: v.vehicleId, type: v.type }]));
      inventory.close();
      if (fleet.size === 0) log.warn('the fleet inventory lists no vehicle: every device will be quarantined');
    }
    const trust = new DeviceTrust({
      ...(fleet ? { fleet } : {}),
      ...(settings.maxDevices !== undefined ? { maxDevices: settings.maxDevices } : {}),
      capacities: capacitiesByType(settings.vehicleTypes),
    });

    let store: ReportStore;
    if (/^postgres(ql)?:\/\//i.test(settings.store)) {
      try {
        store = await PostgresReportStore.open({ url: settings.store });
      } catch (error) {
        throw new Error(`--store: cannot open PostgreSQL at ${storeLabel(settings.store)}: ${(error as Error).message}`);
      }
    } else {
      try {
        store = new SqliteReportStore(settings.store);
      } catch (error) {
        throw new Error(`--store: cannot open the SQLite file ${settings.store}: ${(error as Error).message}`);
      }
    }
    const storeUsers: Array<() => Promise<void> | void> = [];
    closers.push(async () => {
      for (const close of storeUsers.splice(0).reverse()) {
        try {
          await close();
        } catch (error) {
          log.error({ error: (error as Error).message }, 'closing before the store failed');
        }
      }
      await store.close();
    });

    for (const extra of extraServers) {
      let s: Server;
      try {
        s = await extra.start();
      } catch (error) {
        throw listenError(error, extra.option, extra.port, extra.host);
      }
      closers.push(() => new Promise<void>((resolve) => {
        s.close(() => resolve());
        // A client's keep-alive connection must not hold the stop.
        s.closeAllConnections();
      }));
    }

    const client = mqtt.connect(url.toString(), {
      ...ingestConnectOptions(server, settings.clientId ?? `occupancy-backend-${hostname()}`),
      ...(settings.username ? { username: settings.username, password: settings.password ?? '' } : {}),
    });
    // Gracefully (outgoing PUBACKs flushed) while connected; at once when the broker is gone, or end would wait for it.
    closers.push(() => client.endAsync(!client.connected).then(() => undefined));
    const ingest = new MqttIngest(client, clock, {
      server,
      ...(settings.application ? { application: settings.application } : {}),
      ...(settings.share ? { shareGroup: settings.share } : {}),
      onStoreFailure: () => {
        log.fatal('the store failed: stopping so that the service restarts (the broker keeps the unacknowledged uplink)');
        process.exitCode = 1;
        void stop().finally(() => process.exit(1));
      },
    });
    const processor = new UplinkProcessor(clock, consumer, ingest, { store, trust });
    ingest.attach(processor);
    closers.push(() => processor.close());
    const startedAt = clock.now();
    const vehicleOf = (devEui: string) => fleet?.get(devEui)?.vehicleId;
    const sources = async (): Promise<MetricsSources> => ({
      processor: processor.counters,
      trust,
      mqtt: ingest.counters,
      devices: processor.deviceSummaries().map((d) => ({ devEui: d.devEui, lastSeenAt: d.lastSeenAt, vehicle: vehicleOf(d.devEui) })),
      mqttConnected: client.connected,
      storeUp: await store.ping(),
      startedAt,
    });

    let opsPort: number | undefined;
    if (settings.ops !== undefined) {
      const host = settings.opsHost ?? '127.0.0.1';
      let ops: Server;
      try {
        ops = await startOpsServer({ sources }, clock, settings.ops, host);
      } catch (error) {
        throw listenError(error, '--ops', settings.ops, host);
      }
      opsPort = (ops.address() as AddressInfo).port;
      closers.push(() => new Promise<void>((resolve) => {
        ops.close(() => resolve());
        // A scraper's keep-alive connection must not hold the stop.
        ops.closeAllConnections();
      }));
    }

    const timeout = settings.connectTimeoutMs ?? 15_000;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    try {
      await Promise.race([
        connected(client),
        new Promise<never>((_, reject) => (timer = clock.setTimeout(() => reject(new Error(`no answer within ${timeout / 1000} s`)), timeout))),
      ]);
    } catch (error) {
      throw new Error(`--broker: cannot connect to ${url.host}: ${(error as Error).message}`);
    } finally {
      clock.clearTimeout(timer);
    }
    client.on('error', (error) => log.warn({ error: error.message }, 'MQTT connection problem (reconnecting)'));
    client.on('offline', () => log.warn('MQTT broker unreachable, reconnecting'));
    await ingest.start();
    log.info({ server, store: storeLabel(settings.store), allowlist: fleet ? fleet.size : 'off', session: server === 'chirpstack' ? 'persistent' : 'clean' }, 'backend started');
    return { processor, ingest, store, trust, vehicleOf, opsPort, sources, beforeStoreCloses: (close) => void storeUsers.push(close), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
