/**
 * `occupancy simulate --broker`: the bench day's network-server events (uplinks, downlink notices,
 * joins) published to a real MQTT broker as ChirpStack v4 (or The Things Stack v3) would publish
 * them, so an `occupancy backend` on that broker shows the day live. The run's own in-process
 * backend still acknowledges and scores; the live backend's downlinks are not taken back (nothing
 * subscribes to the command topics), so it only watches. Waits for every publish at the end.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { ConfigError } from '../../common/errors.js';
import { FleetInventory } from '../../contracts/fleet-inventory.js';
import { NetworkServerMqttBridge } from './mqtt-bridge.js';

export interface BrokerFeed {
  mirror: Pick<NetworkServerMqttBridge, 'publishUplink' | 'publishDownlinkSent' | 'publishJoin'>;
  readonly counters: NetworkServerMqttBridge['counters'];
  close(): Promise<void>;
}

/** A broker URL with a scheme MQTT.js can use; anything else is refused with a message that says so. */
export function brokerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('--broker', `not a URL: ${text} (expected e.g. mqtt://localhost:1883)`);
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'].includes(url.protocol)) throw new ConfigError('--broker', `unsupported scheme ${url.protocol} in ${text} (use mqtt://host:port or mqtts://)`);
  return text;
}

export async function connectBrokerFeed(url: string, format: 'chirpstack' | 'tts'): Promise<BrokerFeed> {
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(brokerUrl(url), { reconnectPeriod: 1000, connectTimeout: 10_000, clientId: `occupancy-bench-${process.pid}` });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('--broker', `cannot connect to ${url}: ${(error as Error).message}`);
  }
  // The target is for downlink commands, which this feed does not take.
  const bridge = new NetworkServerMqttBridge(client, { enqueueDownlink: () => false, devEuiOf: () => undefined }, { format, applicationId: '' });
  return {
    mirror: bridge,
    counters: bridge.counters,
    close: () => client.endAsync(),
  };
}

/** Writes the run's trams into a fleet inventory file, so the backend publishes them by fleet number. */
export function fleetInventoryWriter(path: string, provisionedAt: string): { add(v: { vehicleId: string; devEui: string; vehicleType: string; joinEui: string; dialect: string }): void; close(): void } {
  const inventory = new FleetInventory(path);
  return {
    add: (v) => inventory.record({ vehicleId: v.vehicleId, type: v.vehicleType, devEui: v.devEui, joinEui: v.joinEui, modemDialect: v.dialect, provisionedAt }),
    close: () => inventory.close(),
  };
}
