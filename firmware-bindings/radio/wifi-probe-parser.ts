/**
 * WiFi probe requests from a capture tool's field output, one frame a line, tab-separated:
 * `<epoch seconds> <source MAC> <signal dBm>`, e.g. from
 * `tshark -l -i wlan0mon -Y "wlan.fc.type_subtype == 4" -T fields -e frame.time_epoch -e wlan.sa -e radiotap.dbm_antsignal`.
 * A Transform from text to sightings; bad lines are counted by reason and dropped, never echoed
 * into logs (they may hold addresses).
 */
import { Transform, type TransformCallback } from 'node:stream';

export interface WifiSighting {
  at: number;
  address: string;
  rssi: number;
}

export type WifiLineError = 'fields' | 'time' | 'address' | 'signal' | 'too-long';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const MAX_LINE = 256;

export function parseProbeLine(line: string): WifiSighting | WifiLineError {
  if (line.length > MAX_LINE) return 'too-long';
  const fields = line.trim().split('\t');
  if (fields.length < 3) return 'fields';
  const [time, address, signal] = fields;
  const seconds = Number(time);
  if (!Number.isFinite(seconds) || seconds <= 0) return 'time';
  if (!MAC.test(address!)) return 'address';
  // tshark writes one value per antenna, comma-separated: take the first.
  const rssi = Number(signal!.split(',')[0]);
  if (!Number.isFinite(rssi) || rssi < -120 || rssi > 0) return 'signal';
  return { at: Math.round(seconds * 1000), address: address!.toLowerCase(), rssi };
}

export class WifiProbeParser extends Transform {
  private buffer = '';
  /** After an over-long line: drop everything up to the next newline. */
  private discarding = false;
  readonly errors: Record<WifiLineError, number> = { fields: 0, time: 0, address: 0, signal: 0, 'too-long': 0 };

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      if (this.discarding) this.discarding = false;
      else this.line(this.buffer.slice(0, nl));
      this.buffer = this.buffer.slice(nl + 1);
    }
    if (this.buffer.length > MAX_LINE) {
      if (!this.discarding) this.errors['too-long']++;
      this.discarding = true;
      this.buffer = '';
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.buffer.trim() && !this.discarding) this.line(this.buffer);
    done();
  }

  private line(text: string): void {
    if (!text.trim()) return;
    const parsed = parseProbeLine(text.replace(/\r$/, ''));
    if (typeof parsed === 'string') this.errors[parsed]++;
    else this.push(parsed);
  }
}
