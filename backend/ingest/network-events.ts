/**
 * Reads the uplink events of the two network servers we support (ChirpStack v4 and The Things
 * Stack v3) into one shape. Validates with zod; anything else is a ProtocolError, never a crash.
 * Zero and false fields are absent in both servers' JSON, so every field but the ids is optional.
 */
import { z } from 'zod';
import { ProtocolError } from '../../common/errors.js';

export interface UplinkEnvelope {
  devEui: string;
  fPort: number;
  fCnt: number;
  payload: Uint8Array;
  receivedAt: number;
  dr?: number;
  /** ChirpStack: the application the device is in (where its downlinks go). */
  applicationId?: string;
  /** The Things Stack: the device id (where its downlinks go). */
  deviceId?: string;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const eui = z.string().regex(/^[0-9a-fA-F]{16}$/, 'not an EUI');

const ChirpStackUplink = z.object({
  time: z.string().optional(),
  deviceInfo: z.object({ devEui: eui, applicationId: z.string().optional() }).passthrough(),
  fCnt: z.number().int().nonnegative().optional(),
  fPort: z.number().int().min(0).max(255).optional(),
  dr: z.number().int().optional(),
  data: base64.optional(),
}).passthrough();

const TtsUplink = z.object({
  end_device_ids: z.object({ device_id: z.string(), dev_eui: eui }).passthrough(),
  received_at: z.string().optional(),
  uplink_message: z.object({
    f_port: z.number().int().min(0).max(255).optional(),
    f_cnt: z.number().int().nonnegative().optional(),
    frm_payload: base64.optional(),
  }).passthrough(),
}).passthrough();

function timeOf(iso: string | undefined, fallback: number): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : fallback;
}

function parseJson(raw: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch {
    throw new ProtocolError('network server event is not JSON', 'not-json');
  }
}

export function parseChirpStackUplink(raw: string | Uint8Array, now: number): UplinkEnvelope {
  const parsed = ChirpStackUplink.safeParse(parseJson(raw));
  if (!parsed.success) throw new ProtocolError(`not a ChirpStack v4 uplink event: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`, 'bad-event');
  const e = parsed.data;
  return {
    devEui: e.deviceInfo.devEui.toLowerCase(),
    fPort: e.fPort ?? 0,
    fCnt: e.fCnt ?? 0,
    payload: Buffer.from(e.data ?? '', 'base64'),
    receivedAt: timeOf(e.time, now),
    ...(e.dr !== undefined ? { dr: e.dr } : {}),
    ...(e.deviceInfo.applicationId ? { applicationId: e.deviceInfo.applicationId } : {}),
  };
}

export function parseTtsUplink(raw: string | Uint8Array, now: number): UplinkEnvelope {
  const parsed = TtsUplink.safeParse(parseJson(raw));
  if (!parsed.success) throw new ProtocolError(`not a The Things Stack v3 uplink message: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`, 'bad-event');
  const e = parsed.data;
  return {
    devEui: e.end_device_ids.dev_eui.toLowerCase(),
    fPort: e.uplink_message.f_port ?? 0,
    fCnt: e.uplink_message.f_cnt ?? 0,
    payload: Buffer.from(e.uplink_message.frm_payload ?? '', 'base64'),
    receivedAt: timeOf(e.received_at, now),
    deviceId: e.end_device_ids.device_id,
  };
}

const ChirpStackTxAck = z.object({ deviceInfo: z.object({ devEui: eui }).passthrough() }).passthrough();
const TtsJoin = z.object({ end_device_ids: z.object({ dev_eui: eui }).passthrough(), join_accept: z.object({}).passthrough() }).passthrough();

/** ChirpStack v4 `event/join`: the device joined (a JoinAccept went down). Same device block as txack. */
export function parseChirpStackJoin(raw: string | Uint8Array): { devEui: string } {
  const parsed = ChirpStackTxAck.safeParse(parseJson(raw));
  if (!parsed.success) throw new ProtocolError('not a ChirpStack v4 join event', 'bad-event');
  return { devEui: parsed.data.deviceInfo.devEui.toLowerCase() };
}

/** The Things Stack v3 `join`: the device joined (a JoinAccept went down). */
export function parseTtsJoin(raw: string | Uint8Array): { devEui: string } {
  const parsed = TtsJoin.safeParse(parseJson(raw));
  if (!parsed.success) throw new ProtocolError('not a The Things Stack v3 join message', 'bad-event');
  return { devEui: parsed.data.end_device_ids.dev_eui.toLowerCase() };
}
const TtsDownSent = z.object({ end_device_ids: z.object({ dev_eui: eui }).passthrough(), downlink_sent: z.object({}).passthrough() }).passthrough();

/** ChirpStack v4 `event/txack`: a queued downlink went out. */
export function parseChirpStackTxAck(raw: string | Uint8Array): { devEui: string } {
  const parsed = ChirpStackTxAck.safeParse(parseJson(raw));
  if (!parsed.success) throw new ProtocolError('not a ChirpStack v4 txack event', 'bad-event');
  return { devEui: parsed.data.deviceInfo.devEui.toLowerCase() };
}

/** The Things Stack v3 `down/sent`: a queued downlink went out. */
export function parseTtsDownSent(raw: string | Uint8Array): { devEui: string } {
  const parsed = TtsDownSent.safeParse(parseJson(raw));
  if (!parsed.success) throw new ProtocolError('not a The Things Stack v3 down/sent message', 'bad-event');
  return { devEui: parsed.data.end_device_ids.dev_eui.toLowerCase() };
}
