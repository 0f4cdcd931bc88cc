/**
 * Puts the network-server emulator on an MQTT broker the way ChirpStack v4 (or, by option, The
 * Things Stack v3) integrates: uplink events and downlink notices are published as those servers
 * publish them, and downlinks are taken from their command topics (ChirpStack
 * `.../command/down`; TTS `.../down/push` and `.../down/replace`) into the device queue for the next
 * receive window. A command it cannot read is counted and logged, never fatal.
 */
import type { MqttClient } from 'mqtt';
import { z } from 'zod';
import { moduleLogger } from '../../common/log.js';
import type { QueuedDownlink } from './network-server.js';
import {
  chirpStackJoinEvent,
  chirpStackTxAckEvent,
  chirpStackUplinkEvent,
  ttsDownSentMessage,
  ttsJoinMessage,
  ttsUplinkMessage,
  type NsDownlinkSent,
  type NsJoin,
  type NsUplink,
} from './uplink-event.js';

const log = moduleLogger('sim.mqtt-bridge');

export interface BridgeTarget {
  enqueueDownlink(devEui: string, downlink: QueuedDownlink): boolean;
  clearQueue?(devEui: string): void;
  devEuiOf(name: string): string | undefined;
}

export interface BridgeOptions {
  format: 'chirpstack' | 'tts';
  /** ChirpStack application id (UUID). */
  applicationId: string;
  /** The Things Stack application and tenant, as `app@tenant` in its topics. */
  ttsApplication?: string;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const ChirpStackDown = z.object({ devEui: z.string().regex(/^[0-9a-fA-F]{16}$/), confirmed: z.boolean().optional(), fPort: z.number().int().min(1).max(223), data: base64 });
const TtsDown = z.object({
  downlinks: z.array(z.object({ f_port: z.number().int().min(1).max(223), frm_payload: base64, confirmed: z.boolean().optional() }).passthrough()),
});

export class NetworkServerMqttBridge {
  readonly counters = { uplinksPublished: 0, noticesPublished: 0, commands: 0, badCommands: 0, unknownDevices: 0 };
  private readonly ttsApp: string;

  constructor(
    private readonly client: MqttClient,
    private readonly target: BridgeTarget,
    private readonly options: BridgeOptions,
  ) {
    this.ttsApp = options.ttsApplication ?? 'havag-occupancy@havag';
  }

  async start(): Promise<void> {
    this.client.on('message', (topic, payload) => this.onCommand(topic, payload));
    const topics =
      this.options.format === 'chirpstack'
        ? [`application/${this.options.applicationId}/device/+/command/down`]
        : [`v3/${this.ttsApp}/devices/+/down/push`, `v3/${this.ttsApp}/devices/+/down/replace`];
    await this.client.subscribeAsync(topics, { qos: 1 });
  }

  publishUplink(u: NsUplink): void {
    const [topic, body] =
      this.options.format === 'chirpstack'
        ? [`application/${u.applicationId}/device/${u.devEui}/event/up`, chirpStackUplinkEvent(u)]
        : [`v3/${this.ttsApp}/devices/${u.deviceName}/up`, ttsUplinkMessage(u)];
    this.counters.uplinksPublished++;
    this.publish(topic, body, this.options.format === 'tts' ? 0 : 1);
  }

  publishDownlinkSent(d: NsDownlinkSent): void {
    const [topic, body] =
      this.options.format === 'chirpstack'
        ? [`application/${d.applicationId}/device/${d.devEui}/event/txack`, chirpStackTxAckEvent(d)]
        : [`v3/${this.ttsApp}/devices/${d.deviceName}/down/sent`, ttsDownSentMessage(d)];
    this.counters.noticesPublished++;
    this.publish(topic, body, this.options.format === 'tts' ? 0 : 1);
  }

  publishJoin(j: NsJoin): void {
    const [topic, body] =
      this.options.format === 'chirpstack'
        ? [`application/${j.applicationId}/device/${j.devEui}/event/join`, chirpStackJoinEvent(j)]
        : [`v3/${this.ttsApp}/devices/${j.deviceName}/join`, ttsJoinMessage(j)];
    this.counters.noticesPublished++;
    this.publish(topic, body, this.options.format === 'tts' ? 0 : 1);
  }

  private publish(topic: string, body: object, qos: 0 | 1): void {
    this.client.publishAsync(topic, JSON.stringify(body), { qos }).catch((error: unknown) => log.error({ error: (error as Error).message }, 'publish failed'));
  }

  private onCommand(topic: string, payload: Buffer): void {
    const parts = topic.split('/');
    this.counters.commands++;
    try {
      const json: unknown = JSON.parse(payload.toString('utf8'));
      if (this.options.format === 'chirpstack') {
        const cmd = ChirpStackDown.parse(json);
        if (parts[3]?.toLowerCase() !== cmd.devEui.toLowerCase()) throw new Error('devEui of topic and body differ');
        this.queue(cmd.devEui.toLowerCase(), [{ fPort: cmd.fPort, payload: Buffer.from(cmd.data, 'base64'), confirmed: cmd.confirmed ?? false }], false);
      } else {
        const devEui = this.target.devEuiOf(parts[3] ?? '');
        if (!devEui) {
          this.counters.unknownDevices++;
          return;
        }
        const cmd = TtsDown.parse(json);
        this.queue(devEui, cmd.downlinks.map((d) => ({ fPort: d.f_port, payload: Buffer.from(d.frm_payload, 'base64'), confirmed: d.confirmed ?? false })), parts[5] === 'replace');
      }
    } catch (error) {
      this.counters.badCommands++;
      log.warn({ topic, error: (error as Error).message.split('\n')[0] }, 'unreadable downlink command ignored');
    }
  }

  private queue(devEui: string, downlinks: QueuedDownlink[], replace: boolean): void {
    if (replace) this.target.clearQueue?.(devEui);
    for (const d of downlinks) if (!this.target.enqueueDownlink(devEui, d)) this.counters.unknownDevices++;
  }
}
