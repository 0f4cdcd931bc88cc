/**
 * The backend's figures in the Prometheus text exposition format (version 0.0.4): what came in,
 * what was a duplicate, what was refused and why, what went back down, and when each device was
 * last heard. Counters only grow while the process runs (Prometheus handles restarts). Device
 * labels are DevEUIs and fleet numbers (equipment, not people); nothing of a payload.
 */
import type { MqttIngestCounters } from '../ingest/mqtt-ingest.js';
import { REJECT_REASONS, type DeviceTrust } from '../ingest/device-trust.js';
import type { IngestCounters } from '../ingest/uplink-processor.js';

export interface MetricsSources {
  processor: IngestCounters;
  trust: DeviceTrust;
  mqtt?: MqttIngestCounters;
  /** Devices known to this instance: last heard (ms) and, where the inventory knows it, the vehicle. */
  devices: Array<{ devEui: string; lastSeenAt: number | undefined; vehicle?: string | undefined }>;
  mqttConnected: boolean;
  storeUp: boolean;
  startedAt: number;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

class Exposition {
  private readonly lines: string[] = [];

  metric(name: string, type: 'counter' | 'gauge', help: string, samples: Array<[Record<string, string>, number]> | number): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const list = typeof samples === 'number' ? [[{}, samples] as [Record<string, string>, number]] : samples;
    for (const [labels, value] of list) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(',');
      this.lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
    }
    return this;
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

export function metricsText(m: MetricsSources): string {
  const p = m.processor;
  const rejected: Array<[Record<string, string>, number]> = REJECT_REASONS.map((reason) => [{ reason }, m.trust.rejected[reason]]);
  rejected.push([{ reason: 'malformed' }, p.malformed]);
  if (m.mqtt) rejected.push([{ reason: 'bad-event' }, m.mqtt.badEvent], [{ reason: 'bad-topic' }, m.mqtt.badTopic]);
  const e = new Exposition()
    .metric('occupancy_up', 'gauge', 'MQTT connected and store reachable (1) or not (0).', m.mqttConnected && m.storeUp ? 1 : 0)
    .metric('occupancy_mqtt_connected', 'gauge', 'Connected to the network server broker.', m.mqttConnected ? 1 : 0)
    .metric('occupancy_store_up', 'gauge', 'The report store answers.', m.storeUp ? 1 : 0)
    .metric('occupancy_start_time_seconds', 'gauge', 'When this backend process started (Unix time).', Math.floor(m.startedAt / 1000))
    .metric('occupancy_uplinks_total', 'counter', 'Uplinks handed to the processor.', p.uplinks)
    .metric('occupancy_reports_ingested_total', 'counter', 'Stop reports stored and handed on (each once).', p.reports)
    .metric('occupancy_duplicates_total', 'counter', 'Reports and live frames received again.', [[{ kind: 'report' }, p.duplicateReports], [{ kind: 'live' }, p.duplicateLive]])
    .metric('occupancy_live_frames_total', 'counter', 'Live levels received.', p.liveFrames)
    .metric('occupancy_health_frames_total', 'counter', 'Health frames received.', p.health)
    .metric('occupancy_rejected_total', 'counter', 'Messages, frames and reports refused, by reason.', rejected)
    .metric('occupancy_quarantined_messages_total', 'counter', 'Messages of devices not admitted (unknown to the fleet, or beyond the device limit).', m.trust.quarantinedMessages)
    .metric('occupancy_admitted_devices', 'gauge', 'Devices admitted since the start.', m.trust.admittedCount)
    .metric('occupancy_acks_sent_total', 'counter', 'Acks queued as downlinks.', p.acksSent)
    .metric('occupancy_configs_sent_total', 'counter', 'Configuration changes queued as downlinks.', p.configsSent)
    .metric('occupancy_downlinks_confirmed_total', 'counter', 'Queued downlinks the network server reported sent (txack, down/sent).', p.downlinksConfirmed)
    .metric('occupancy_downlinks_refused_total', 'counter', 'Downlinks the daily budget did not allow.', p.downlinksRefused)
    .metric('occupancy_sessions_started_total', 'counter', 'New device sessions seen in the uplinks (a JoinAccept each).', p.sessionsStarted)
    .metric('occupancy_store_errors_total', 'counter', 'Uplinks the store failed on (left unacknowledged at the broker).', p.storeErrors);
  if (m.mqtt) {
    e.metric('occupancy_mqtt_messages_total', 'counter', 'MQTT messages received.', m.mqtt.messages)
      .metric('occupancy_join_events_total', 'counter', 'Join events received (no budget by themselves).', m.mqtt.joins)
      .metric('occupancy_downlinks_published_total', 'counter', 'Downlinks published to the network server.', m.mqtt.downlinksPublished);
  }
  e.metric(
    'occupancy_device_last_seen_timestamp_seconds',
    'gauge',
    'When each device was last heard (Unix time).',
    m.devices
      .filter((d) => d.lastSeenAt !== undefined)
      .sort((a, b) => a.devEui.localeCompare(b.devEui))
      .map((d) => [{ dev_eui: d.devEui, ...(d.vehicle ? { vehicle: d.vehicle } : {}) }, Math.floor(d.lastSeenAt! / 1000)]),
  );
  return e.text();
}
