/**
 * The events a network server publishes, in the JSON shapes of ChirpStack v4 and The Things Stack
 * v3 (FIELD-FACTS.md): uplinks, joins (ChirpStack `event/join`, TTS `join`), and the notice that a
 * queued downlink went out (ChirpStack `event/txack`, TTS `down/sent`). Zero and false fields are left out, as both servers do.
 */
import { dataRate } from '../../contracts/lora-region-eu868.js';

export interface NsUplink {
  devEui: string;
  devAddr: string;
  deviceName: string;
  applicationId: string;
  applicationName: string;
  tenantId: string;
  fCnt: number;
  fPort: number;
  payload: Buffer;
  confirmed: boolean;
  adr: boolean;
  dr: number;
  frequencyHz: number;
  time: number;
  rssi: number;
  snr: number;
  gatewayId: string;
  deduplicationId: string;
}

function omitEmpty<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== 0 && v !== false && v !== '' && v !== undefined && v !== null),
  ) as Partial<T>;
}

export function chirpStackUplinkEvent(u: NsUplink): Record<string, unknown> {
  const rate = dataRate(u.dr);
  return omitEmpty({
    deduplicationId: u.deduplicationId,
    time: new Date(u.time).toISOString(),
    deviceInfo: {
      tenantId: u.tenantId,
      tenantName: 'HAVAG',
      applicationId: u.applicationId,
      applicationName: u.applicationName,
      deviceProfileId: '4a2f1e3c-0000-4000-8000-0000000000a1',
      deviceProfileName: 'tram-occupancy-gateway',
      deviceName: u.deviceName,
      devEui: u.devEui,
      deviceClassEnabled: 'CLASS_A',
      tags: {},
    },
    devAddr: u.devAddr,
    adr: u.adr,
    dr: u.dr,
    fCnt: u.fCnt,
    fPort: u.fPort,
    confirmed: u.confirmed,
    data: u.payload.toString('base64'),
    rxInfo: [
      omitEmpty({
        gatewayId: u.gatewayId,
        uplinkId: (u.fCnt * 7919 + 1) % 65536,
        rssi: u.rssi,
        snr: u.snr,
        channel: Math.round((u.frequencyHz - 868_100_000) / 200_000),
        context: 'AAAAAA==',
        crcStatus: 'CRC_OK',
      }),
    ],
    txInfo: {
      frequency: u.frequencyHz,
      modulation: { lora: { bandwidth: rate.bandwidthHz, spreadingFactor: rate.sf, codeRate: 'CR_4_5' } },
    },
  });
}

export function ttsUplinkMessage(u: NsUplink): Record<string, unknown> {
  const rate = dataRate(u.dr);
  return {
    end_device_ids: {
      device_id: u.deviceName,
      application_ids: { application_id: u.applicationName },
      dev_eui: u.devEui.toUpperCase(),
      dev_addr: u.devAddr.toUpperCase(),
    },
    received_at: new Date(u.time).toISOString(),
    uplink_message: omitEmpty({
      f_port: u.fPort,
      f_cnt: u.fCnt,
      frm_payload: u.payload.toString('base64'),
      rx_metadata: [{ gateway_ids: { gateway_id: 'havag-gw-1', eui: u.gatewayId.toUpperCase() }, rssi: u.rssi, snr: u.snr }],
      settings: {
        data_rate: { lora: { bandwidth: rate.bandwidthHz, spreading_factor: rate.sf, coding_rate: '4/5' } },
        frequency: String(u.frequencyHz),
      },
      received_at: new Date(u.time).toISOString(),
      confirmed: u.confirmed,
    }),
  };
}

/** A queued downlink that went out in a receive window. */
export interface NsDownlinkSent {
  devEui: string;
  deviceName: string;
  applicationId: string;
  applicationName: string;
  tenantId: string;
  fPort: number;
  fCntDown: number;
  payload: Buffer;
  time: number;
  gatewayId: string;
  frequencyHz: number;
  queueItemId: string;
}

export function chirpStackTxAckEvent(d: NsDownlinkSent): Record<string, unknown> {
  return omitEmpty({
    downlinkId: d.fCntDown + 1,
    time: new Date(d.time).toISOString(),
    deviceInfo: {
      tenantId: d.tenantId,
      tenantName: 'HAVAG',
      applicationId: d.applicationId,
      applicationName: d.applicationName,
      deviceName: d.deviceName,
      devEui: d.devEui,
    },
    queueItemId: d.queueItemId,
    fCntDown: d.fCntDown,
    gatewayId: d.gatewayId,
    txInfo: { frequency: d.frequencyHz, power: 14 },
  });
}

export function ttsDownSentMessage(d: NsDownlinkSent): Record<string, unknown> {
  return {
    end_device_ids: { device_id: d.deviceName, application_ids: { application_id: d.applicationName }, dev_eui: d.devEui.toUpperCase() },
    received_at: new Date(d.time).toISOString(),
    downlink_sent: omitEmpty({ f_port: d.fPort, f_cnt: d.fCntDown, frm_payload: d.payload.toString('base64'), priority: 'NORMAL', correlation_ids: [`as:downlink:${d.queueItemId}`] }),
  };
}

/** A device joined (OTAA): the network server answered with a JoinAccept. */
export interface NsJoin {
  devEui: string;
  devAddr: string;
  deviceName: string;
  applicationId: string;
  applicationName: string;
  tenantId: string;
  time: number;
  deduplicationId: string;
}

export function chirpStackJoinEvent(j: NsJoin): Record<string, unknown> {
  return {
    deduplicationId: j.deduplicationId,
    time: new Date(j.time).toISOString(),
    deviceInfo: { tenantId: j.tenantId, tenantName: 'HAVAG', applicationId: j.applicationId, applicationName: j.applicationName, deviceName: j.deviceName, devEui: j.devEui },
    devAddr: j.devAddr,
  };
}

export function ttsJoinMessage(j: NsJoin): Record<string, unknown> {
  return {
    end_device_ids: { device_id: j.deviceName, application_ids: { application_id: j.applicationName }, dev_eui: j.devEui.toUpperCase(), dev_addr: j.devAddr.toUpperCase() },
    received_at: new Date(j.time).toISOString(),
    join_accept: { received_at: new Date(j.time).toISOString() },
  };
}
