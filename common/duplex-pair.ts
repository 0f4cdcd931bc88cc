/**
 * Two connected in-memory byte streams: what one side writes, the other reads. The simulator's
 * emulated firmware sits on one end and a binding on the other, exactly as over a serial cable.
 * Node 20 has no stream.duplexPair (added in 22.6), hence this.
 */
import { Duplex } from 'node:stream';

export interface DuplexPairOptions {
  /** Deliver writes in chunks of at most this many bytes, to exercise parsers on split frames. */
  maxChunk?: number;
}

class PairEnd extends Duplex {
  peer: PairEnd | undefined;
  constructor(private readonly maxChunk: number) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (!peer || peer.destroyed) {
      done(new Error('peer closed'));
      return;
    }
    for (let i = 0; i < chunk.length; i += this.maxChunk) peer.push(chunk.subarray(i, i + this.maxChunk));
    done();
  }

  override _read(): void {
    // Data is pushed by the peer's writes.
  }

  override _final(done: (error?: Error | null) => void): void {
    this.peer?.push(null);
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer && !peer.destroyed) {
      peer.push(null);
      peer.destroy();
    }
    done(error);
  }
}

export function createDuplexPair(options: DuplexPairOptions = {}): [Duplex, Duplex] {
  const maxChunk = Math.max(1, options.maxChunk ?? Number.MAX_SAFE_INTEGER);
  const a = new PairEnd(maxChunk);
  const b = new PairEnd(maxChunk);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
