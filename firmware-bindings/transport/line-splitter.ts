/**
 * Newline framing with a bound: a Transform from bytes to text lines (object mode), for NDJSON over
 * a serial port or a TCP socket (the camera counter, the modems). Lines longer than the bound are dropped whole (the rest up to the
 * next newline is skipped) and reported, never buffered; bytes that are not UTF-8 drop their line.
 * CR before LF is removed. Must never: throw on input, or log line contents.
 */
import { Transform, type TransformCallback } from 'node:stream';

export type LineDrop = 'overlong' | 'encoding';

export class BoundedLineSplitter extends Transform {
  private parts: Buffer[] = [];
  private length = 0;
  private skipping = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  /** `onDrop` hears of every dropped line, once, with the reason. */
  constructor(
    private readonly maxLineBytes: number,
    private readonly onDrop: (reason: LineDrop) => void,
  ) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      this.collect(chunk.subarray(start, end));
      if (nl < 0) break;
      this.lineEnded();
      start = nl + 1;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // A last line without newline is incomplete: the device went away mid-line.
    this.parts = [];
    this.length = 0;
    done();
  }

  private collect(piece: Buffer): void {
    if (this.skipping || piece.length === 0) return;
    if (this.length + piece.length > this.maxLineBytes) {
      this.parts = [];
      this.length = 0;
      this.skipping = true;
      this.onDrop('overlong');
      return;
    }
    this.parts.push(piece);
    this.length += piece.length;
  }

  private lineEnded(): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    let bytes = Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (bytes.length === 0) return;
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      this.onDrop('encoding');
      return;
    }
    this.push(text);
  }
}
