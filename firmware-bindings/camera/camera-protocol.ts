/**
 * The camera counter's line protocol (docs/camera-protocol.md), version 1: one JSON object per
 * line, a head count per zone or a status heartbeat. `readCameraLine` validates one line with zod
 * and pseudonymises its track ids before returning, so a raw track id never leaves this function;
 * `encodeCameraLine` writes lines for the emulated camera unit.
 *
 * Must never: return, keep or log a raw track id; throw on any input line.
 */
import { z } from 'zod';
import type { SerialSettings } from '../transport/serial-port.js';

export const CAMERA_PROTOCOL_VERSION = 1;

/** Limits of version 1 (docs/camera-protocol.md). */
export const CAMERA_LIMITS = Object.freeze({
  maxLineBytes: 16_384,
  maxZone: 16,
  maxHeads: 400,
  maxTracks: 200,
  maxTrackIdLength: 64,
});

/** Serial settings when the camera is on a UART (over TCP it is any socket). */
export const CAMERA_SERIAL: Readonly<Omit<SerialSettings, 'path'>> = Object.freeze({
  baudRate: 115_200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
});

/** Why a line was dropped. */
export type CameraDropReason = 'overlong' | 'encoding' | 'json' | 'version' | 'schema' | 'range';

// ISO 8601 in UTC with milliseconds optional, as the camera's clock writes it.
const isoUtc = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/)
  .refine((s) => Number.isFinite(Date.parse(s)), { message: 'not a real instant' });

const countLine = z.object({
  v: z.literal(CAMERA_PROTOCOL_VERSION),
  type: z.literal('count'),
  t: isoUtc,
  zone: z.number().int().min(1).max(CAMERA_LIMITS.maxZone),
  heads: z.number().int().min(0).max(CAMERA_LIMITS.maxHeads),
  conf: z.number().min(0).max(1),
  tracks: z
    .array(z.string().min(1).max(CAMERA_LIMITS.maxTrackIdLength).regex(/^[\x21-\x7e]+$/))
    .max(CAMERA_LIMITS.maxTracks)
    .optional(),
});

const statusLine = z.object({
  v: z.literal(CAMERA_PROTOCOL_VERSION),
  type: z.literal('status'),
  t: isoUtc,
  state: z.enum(['ok', 'degraded', 'fault']),
  uptime: z.number().int().min(0),
});

const cameraLine = z.discriminatedUnion('type', [countLine, statusLine]);

export type CameraState = z.infer<typeof statusLine>['state'];

/** A count as the gateway keeps it: `tracks` are pseudonyms. */
export interface CameraCount {
  type: 'count';
  cameraTime: number;
  zone: number;
  heads: number;
  confidence: number;
  tracks?: string[];
}

export interface CameraStatus {
  type: 'status';
  cameraTime: number;
  state: CameraState;
  uptimeS: number;
}

export type CameraReading = { ok: true; line: CameraCount | CameraStatus } | { ok: false; reason: CameraDropReason };

const RANGE_CODES = new Set(['too_big', 'too_small']);

/**
 * Reads one line (without its newline). Track ids are handed to `toPseudonym` as soon as the line
 * is valid and only their pseudonyms are returned.
 */
export function readCameraLine(text: string, toPseudonym: (rawTrackId: string) => string): CameraReading {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'schema' };
  const v = (value as { v?: unknown }).v;
  if (typeof v === 'number' && Number.isInteger(v) && v !== CAMERA_PROTOCOL_VERSION) return { ok: false, reason: 'version' };
  const parsed = cameraLine.safeParse(value);
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.every((i) => RANGE_CODES.has(i.code)) ? 'range' : 'schema' };
  }
  const m = parsed.data;
  const cameraTime = Date.parse(m.t);
  if (m.type === 'status') return { ok: true, line: { type: 'status', cameraTime, state: m.state, uptimeS: m.uptime } };
  return {
    ok: true,
    line: {
      type: 'count',
      cameraTime,
      zone: m.zone,
      heads: m.heads,
      confidence: m.conf,
      ...(m.tracks ? { tracks: m.tracks.map(toPseudonym) } : {}),
    },
  };
}

/** What the camera unit writes: a count (raw track ids, as a real camera sends them) or a status. */
export type CameraLineOut =
  | { type: 'count'; at: number; zone: number; heads: number; confidence: number; trackIds?: readonly string[] }
  | { type: 'status'; at: number; state: CameraState; uptimeS: number };

/** One protocol line, newline included. */
export function encodeCameraLine(m: CameraLineOut): string {
  const t = new Date(m.at).toISOString();
  const body =
    m.type === 'count'
      ? { v: CAMERA_PROTOCOL_VERSION, type: 'count', t, zone: m.zone, heads: m.heads, conf: m.confidence, ...(m.trackIds ? { tracks: m.trackIds } : {}) }
      : { v: CAMERA_PROTOCOL_VERSION, type: 'status', t, state: m.state, uptime: m.uptimeS };
  return `${JSON.stringify(body)}\n`;
}
