/**
 * The backend's MQTT side: subscribes to the network server's uplink events (ChirpStack v4 or The
 * Things Stack v3, optionally as an MQTT shared subscription so several backend instances share
 * the load), hands them to the UplinkProcessor, and sends its downlinks (acks, config changes) to
 * the device's command topic. Learns where a device's downlinks go from its uplinks.
 *
 * Whatever arrives on a topic (broken JSON, wrong shapes, unknown devices) is counted and logged,
 * never fatal, and never logged with its payload.
 *
 * Durability: a message is acknowledged to the broker (PUBACK at QoS 1) only after the processor
 * has stored what it carried, so with a persistent session (clean: false, a fixed client id; see
 * backend/cli.ts) the broker keeps and redelivers what arrived while the backend was down or
 * crashed mid-way. ChirpStack publishes at the QoS its MQTT integration is set to (set 1); The
 * Things Stack publishes at QoS 0 only and refuses shared subscriptions, so neither is asked of it.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Clock } from '../../common/clock.js';
import { ConfigError, ProtocolError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import {
  parseChirpStackJoin,
  parseChirpStackTxAck,
  parseChirpStackUplink,
  parseTtsDownSent,
  parseTtsJoin,
  parseTtsUplink,
  type UplinkEnvelope,
} from './network-events.js';
import type { DownlinkSender, UplinkProcessor } from './uplink-processor.js';

const log = moduleLogger('backend.mqtt');

export type NetworkServerKind = 'chirpstack' | 'tts';

export interface MqttIngestOptions {
  server: NetworkServerKind;
  /** ChirpStack application id, or TTS `app@tenant`; '+' (default) for all the broker carries. */
  application?: string;
  /** MQTT shared subscription group (`$share/<group>/...`): each uplink goes to one instance of the group. */
  shareGroup?: string;
  /** Devices this backend accepts; others are counted and dropped. Default: those the processor admits. */
  isKnownDevice?: (devEui: string) => boolean;
  /** The store failed on a message (it stays unacknowledged): e.g. exit, so that systemd restarts the backend. */
  onStoreFailure?: () => void;
}

export interface MqttIngestCounters {
  messages: number;
  uplinks: number;
  /** Notices of downlinks the network server sent: txack / down/sent. */
  downlinkNotices: number;
  /** Join events (they count in no budget by themselves). */
  joins: number;
  badTopic: number;
  badEvent: number;
  unknownDevice: number;
  processorErrors: number;
  downlinksPublished: number;
  /** Downlinks for a device whose route (application, device id) no uplink has shown yet. */
  downlinksUnroutable: number;
}

type TopicKind = 'up' | 'sent' | 'join';

/**
 * How the backend connects to the network server's broker. ChirpStack: a persistent session
 * (clean: false) under a fixed client id, so the broker queues QoS 1 uplinks while the backend is
 * away. The Things Stack publishes at QoS 0, which no broker keeps for an absent client: a clean
 * session there.
 */
export function ingestConnectOptions(server: NetworkServerKind, clientId: string): IClientOptions {
  return { clientId, clean: server !== 'chirpstack', protocolVersion: 4, reconnectPeriod: 5_000, connectTimeout: 10_000 };
}

/** Resolves when the client has connected, rejects with the first error (bad URL, refused, timeout). */
export function connected(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      client.removeListener('connect', onConnect);
      reject(error);
    };
    const onConnect = () => {
      client.removeListener('error', onError);
      resolve();
    };
    client.once('connect', onConnect);
    client.once('error', onError);
  });
}

export class MqttIngest implements DownlinkSender {
  private processor: UplinkProcessor | undefined;
  /** devEui -> the topic its downlinks go to. */
  private readonly routes = new Map<string, string>();
  private readonly application: string;
  readonly counters: MqttIngestCounters = {
    messages: 0, uplinks: 0, downlinkNotices: 0, joins: 0, badTopic: 0, badEvent: 0, unknownDevice: 0, processorErrors: 0, downlinksPublished: 0, downlinksUnroutable: 0,
  };

  constructor(
    private readonly client: MqttClient,
    private readonly clock: Clock,
    private readonly options: MqttIngestOptions,
  ) {
    this.application = options.application ?? '+';
    if (options.server === 'tts' && options.shareGroup) {
      throw new ConfigError('--share', 'The Things Stack does not allow shared subscriptions ($share): run one backend instance per TTS application');
    }
    this.installHandler();
  }

  /** Devices whose downlink topic is known (admitted devices only, so bounded). */
  get routeCount(): number {
    return this.routes.size;
  }

  attach(processor: UplinkProcessor): void {
    this.processor = processor;
  }

  /** The topic filters this ingest subscribes to. */
  subscriptions(): string[] {
    const app = this.application;
    const filters =
      this.options.server === 'chirpstack'
        ? [`application/${app}/device/+/event/up`, `application/${app}/device/+/event/txack`, `application/${app}/device/+/event/join`]
        : [`v3/${app}/devices/+/up`, `v3/${app}/devices/+/down/sent`, `v3/${app}/devices/+/join`];
    return this.options.shareGroup ? filters.map((f) => `$share/${this.options.shareGroup}/${f}`) : filters;
  }

  /** MQTT QoS of the subscriptions: 1 for ChirpStack, 0 for The Things Stack (all it offers). */
  get qos(): 0 | 1 {
    return this.options.server === 'tts' ? 0 : 1;
  }

  /**
   * mqtt.js hands messages over one at a time and sends the PUBACK when `done` is called: here,
   * only once the processor has stored what the message carried. Installed by the constructor:
   * a persistent session's queued messages arrive right after CONNACK, before any subscribe, so
   * build the ingest (and attach its processor) before the client connects (`mqtt.connect`, then
   * wait for 'connect').
   */
  private installHandler(): void {
    this.client.handleMessage = (packet, done) => {
      this.onMessage(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
      const processor = this.processor;
      if (!processor) return done();
      const failedBefore = processor.counters.storeErrors;
      processor.idle().then(() => {
        if (processor.counters.storeErrors > failedBefore) {
          // Not acknowledged: the broker redelivers it to the next session. The owner decides (restart).
          this.options.onStoreFailure?.();
          return;
        }
        done();
      }, () => undefined);
    };
  }

  /** Subscribes (a persistent session keeps its subscriptions; asking again does no harm). */
  async start(): Promise<void> {
    await this.client.subscribeAsync(this.subscriptions(), { qos: this.qos });
    log.info({ server: this.options.server, topics: this.subscriptions() }, 'subscribed');
  }

  private classify(topic: string): { kind: TopicKind; parts: string[] } | undefined {
    const parts = topic.split('/');
    if (this.options.server === 'chirpstack') {
      if (parts.length === 6 && parts[0] === 'application' && parts[2] === 'device' && parts[4] === 'event') {
        if (parts[5] === 'up') return { kind: 'up', parts };
        if (parts[5] === 'txack') return { kind: 'sent', parts };
        if (parts[5] === 'join') return { kind: 'join', parts };
      }
      return undefined;
    }
    if (parts[0] === 'v3' && parts[2] === 'devices') {
      if (parts.length === 5 && parts[4] === 'up') return { kind: 'up', parts };
      if (parts.length === 5 && parts[4] === 'join') return { kind: 'join', parts };
      if (parts.length === 6 && parts[4] === 'down' && parts[5] === 'sent') return { kind: 'sent', parts };
    }
    return undefined;
  }

  /** One MQTT message. Public so that tests can fuzz it; it never throws. */
  onMessage(topic: string, payload: Uint8Array): void {
    this.counters.messages++;
    const where = this.classify(topic);
    if (!where) {
      this.counters.badTopic++;
      log.warn({ topic }, 'message on an unexpected topic ignored');
      return;
    }
    const now = this.clock.now();
    try {
      if (where.kind === 'join') {
        const { devEui } = this.options.server === 'chirpstack' ? parseChirpStackJoin(payload) : parseTtsJoin(payload);
        this.counters.joins++;
        this.processor?.joined(devEui);
        return;
      }
      if (where.kind === 'sent') {
        const { devEui } = this.options.server === 'chirpstack' ? parseChirpStackTxAck(payload) : parseTtsDownSent(payload);
        this.counters.downlinkNotices++;
        this.processor?.downlinkSent(devEui);
        return;
      }
      const envelope = this.options.server === 'chirpstack' ? parseChirpStackUplink(payload, now) : parseTtsUplink(payload, now);
      if ((this.options.isKnownDevice && !this.options.isKnownDevice(envelope.devEui)) || (this.processor && !this.processor.trust.admit(envelope.devEui, envelope.receivedAt))) {
        this.counters.unknownDevice++;
        log.warn('uplink from a device this backend does not know, dropped');
        return;
      }
      this.learnRoute(envelope, where.parts);
      this.counters.uplinks++;
      this.processor?.handle(envelope);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.counters.badEvent++;
        log.warn({ code: error.code, reason: error.message }, 'unreadable network server event dropped');
      } else {
        this.counters.processorErrors++;
        log.error({ error: (error as Error).message }, 'uplink processing failed');
      }
    }
  }

  private learnRoute(envelope: UplinkEnvelope, parts: string[]): void {
    if (this.options.server === 'chirpstack') {
      const app = envelope.applicationId ?? parts[1]!;
      this.routes.set(envelope.devEui, `application/${app}/device/${envelope.devEui}/command/down`);
    } else {
      this.routes.set(envelope.devEui, `v3/${parts[1]}/devices/${envelope.deviceId ?? parts[3]}/down/push`);
    }
  }

  send(devEui: string, fPort: number, payload: Uint8Array): void {
    const topic = this.routes.get(devEui);
    if (!topic) {
      this.counters.downlinksUnroutable++;
      log.warn('no route yet for a downlink to a device (no uplink seen since start)');
      return;
    }
    const data = Buffer.from(payload).toString('base64');
    const body =
      this.options.server === 'chirpstack'
        ? { devEui, confirmed: false, fPort, data }
        : { downlinks: [{ f_port: fPort, frm_payload: data, priority: 'NORMAL' }] };
    this.counters.downlinksPublished++;
    this.client.publishAsync(topic, JSON.stringify(body), { qos: this.options.server === 'tts' ? 0 : 1 }).catch((error: unknown) => {
      log.error({ error: (error as Error).message }, 'could not publish a downlink');
    });
  }
}
