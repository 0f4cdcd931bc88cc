/**
 * An index of everything that left (or could leave) a vehicle in the privacy proof, built in one
 * pass so that thousands of identifiers, each in many forms, can be looked up quickly:
 *
 * - text: every 8-digit window of digit runs (staff numbers), camera track tokens, MAC addresses with
 *   ':' or '-', every 12-character window of hex runs (hex ids, hex digests, hex in modem lines), and
 *   the start of every base64/base64url run (encoded digests);
 * - bytes: every 4- and 6-byte window of binary material (decoded frame payloads, database files),
 *   for ids and digests written as raw bytes;
 * - values: every number and string of the decoded frames, as values (no substring accidents).
 *
 * Does nothing on import.
 */
import { createHash, createHmac } from 'node:crypto';

/** Keys a careless "anonymisation" would use: an HMAC with a key everyone knows is an unkeyed hash. */
export const CONSTANT_HMAC_KEYS = ['', '0', 'key', 'secret', 'salt', 'havag', 'halle', 'occupancy', 'pepper', 'tram'];

type SetName = 'digits8' | 'tracks' | 'macs' | 'hex12' | 'b64Starts' | 'bytes4' | 'bytes6' | 'values';

/** What one channel (logs, decoded frames, a database file, ...) holds, as sets of windows and tokens. */
class ChannelIndex {
  readonly sets: Record<SetName, Set<string>> = {
    digits8: new Set(), tracks: new Set(), macs: new Set(), hex12: new Set(), b64Starts: new Set(), bytes4: new Set(), bytes6: new Set(), values: new Set(),
  };
}

export class LeakIndex {
  private readonly channels = new Map<string, ChannelIndex>();
  private current: ChannelIndex['sets'] | undefined;
  textChars = 0;
  binaryBytes = 0;

  /** What is added from now on belongs to this channel (named in what a check reports). */
  channel(name: string): this {
    const c = this.channels.get(name) ?? new ChannelIndex();
    this.channels.set(name, c);
    this.current = c.sets;
    return this;
  }

  private get cur(): ChannelIndex['sets'] {
    if (!this.current) throw new Error('name a channel first');
    return this.current;
  }

  /** The channels whose set holds the key, if any. */
  private where(set: SetName, key: string): string | undefined {
    const names = [...this.channels].filter(([, c]) => c.sets[set].has(key)).map(([name]) => name);
    return names.length > 0 ? `in ${names.join(', ')}` : undefined;
  }

  addText(text: string): void {
    this.textChars += text.length;
    const c = this.cur;
    for (const m of text.matchAll(/\d{8,}/g)) for (let i = 0; i + 8 <= m[0].length; i++) c.digits8.add(m[0].slice(i, i + 8));
    for (const m of text.matchAll(/trk-[0-9a-z]+-\d+/gi)) c.tracks.add(m[0].toLowerCase());
    for (const m of text.matchAll(/(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}/gi)) c.macs.add(m[0].replace(/[:-]/g, '').toLowerCase());
    for (const m of text.matchAll(/[0-9a-f]{12,}/gi)) {
      const run = m[0].toLowerCase();
      for (let i = 0; i + 12 <= run.length; i++) c.hex12.add(run.slice(i, i + 12));
    }
    for (const m of text.matchAll(/[A-Za-z0-9+/_-]{10,}/g)) c.b64Starts.add(m[0].slice(0, 10));
  }

  addBytes(bytes: Uint8Array): void {
    const b = Buffer.from(bytes);
    this.binaryBytes += b.length;
    const c = this.cur;
    for (let i = 0; i + 4 <= b.length; i++) {
      c.bytes4.add(b.toString('hex', i, i + 4));
      if (i + 6 <= b.length) c.bytes6.add(b.toString('hex', i, i + 6));
    }
  }

  /** A decoded frame: its values (deeply) and its JSON text. */
  addDecoded(value: unknown): void {
    const c = this.cur;
    const walk = (v: unknown): void => {
      if (typeof v === 'number' || typeof v === 'bigint') c.values.add(String(v));
      else if (typeof v === 'string') c.values.add(v.toLowerCase());
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(value);
    this.addText(JSON.stringify(value));
  }

  /** Where an 8-digit staff number shows: as text, as a decoded value, or as 4 bytes (big/little endian, varint). */
  staffNumber(raw: string): string | undefined {
    const n = Number(raw);
    let at: string | undefined;
    if ((at = this.where('values', raw))) return `${at}: as a decoded field`;
    if ((at = this.where('digits8', raw))) return `${at}: as text`;
    const be = Buffer.alloc(4);
    be.writeUInt32BE(n);
    const le = Buffer.from(be).reverse();
    for (const [name, bytes] of [['uint32 BE', be], ['uint32 LE', le], ['varint', varint(n)]] as const) {
      if (bytes.length >= 4 && (at = this.where('bytes4', bytes.subarray(0, 4).toString('hex')))) return `${at}: as ${name} bytes`;
    }
    return this.digests(raw, [Buffer.from(raw, 'utf8'), be, le]);
  }

  cameraTrack(raw: string): string | undefined {
    const at = this.where('values', raw.toLowerCase()) ?? this.where('tracks', raw.toLowerCase());
    if (at) return `${at}: as text`;
    return this.digests(raw, [Buffer.from(raw, 'utf8')]);
  }

  /** A MAC address 'aa:bb:cc:dd:ee:ff': with or without separators, any case, as 6 bytes in either order. */
  mac(raw: string): string | undefined {
    const hex = raw.replace(/[:-]/g, '').toLowerCase();
    let at: string | undefined;
    if ((at = this.where('macs', hex))) return `${at}: as text with separators`;
    if ((at = this.where('hex12', hex))) return `${at}: as hex`;
    const bytes = Buffer.from(hex, 'hex');
    const reversed = Buffer.from(bytes).reverse();
    if ((at = this.where('bytes6', bytes.toString('hex')))) return `${at}: as 6 raw bytes`;
    if ((at = this.where('bytes6', reversed.toString('hex')))) return `${at}: as 6 raw bytes, reversed`;
    const spellings = [raw, raw.toUpperCase(), hex, hex.toUpperCase(), raw.replace(/:/g, '-'), raw.toUpperCase().replace(/:/g, '-')];
    return this.digests(raw, [...spellings.map((s) => Buffer.from(s, 'utf8')), bytes, reversed]);
  }

  /** A key (hex): any 6 consecutive bytes of it, as hex text, base64 start or raw bytes. */
  key(hex: string): string | undefined {
    const bytes = Buffer.from(hex, 'hex');
    let at: string | undefined;
    for (let i = 0; i + 6 <= bytes.length; i++) {
      const w = bytes.subarray(i, i + 6);
      if ((at = this.where('hex12', w.toString('hex')))) return `${at}: bytes ${i}..${i + 5} as hex`;
      if ((at = this.where('bytes6', w.toString('hex')))) return `${at}: bytes ${i}..${i + 5} raw`;
    }
    for (const b64 of [bytes.toString('base64'), bytes.toString('base64url')]) if ((at = this.where('b64Starts', b64.slice(0, 10)))) return `${at}: as base64`;
    return undefined;
  }

  /** SHA-1, SHA-256 and constant-key HMACs of each input, as hex, base64 or raw bytes (6-byte prefixes: truncated too). */
  private digests(raw: string, inputs: Buffer[]): string | undefined {
    for (const input of inputs) {
      const all: Array<[string, Buffer]> = [
        ['SHA-1', createHash('sha1').update(input).digest()],
        ['SHA-256', createHash('sha256').update(input).digest()],
      ];
      for (const key of CONSTANT_HMAC_KEYS) {
        all.push([`HMAC-SHA256 key '${key}'`, createHmac('sha256', key).update(input).digest()]);
        all.push([`HMAC-SHA1 key '${key}'`, createHmac('sha1', key).update(input).digest()]);
      }
      for (const [name, d] of all) {
        let at: string | undefined;
        if ((at = this.where('hex12', d.toString('hex', 0, 6)))) return `${at}: ${name} of ${raw} as hex`;
        if ((at = this.where('bytes6', d.toString('hex', 0, 6)))) return `${at}: ${name} of ${raw} as raw bytes`;
        for (const b64 of [d.toString('base64'), d.toString('base64url')]) if ((at = this.where('b64Starts', b64.slice(0, 10)))) return `${at}: ${name} of ${raw} as base64`;
      }
    }
    return undefined;
  }
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}
