/**
 * The IBIS reader: a Transform from bus bytes to typed telegrams (object mode). It frames on CR plus
 * checksum, survives split chunks, resynchronises after noise, and counts every dropped frame by
 * reason. Telegrams that identify a person (driver or staff numbers) are dropped right here and only
 * counted (`droppedPersonal`): they never leave this module, are never hashed and never logged.
 *
 * Must never: log telegram contents or dump bytes (a dropped frame may hold a staff number), throw on
 * any input, or buffer without bound.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { moduleLogger } from '../../common/log.js';
import { IBIS_CHECKSUM_SEED, IBIS_CR, IBIS_MAX_TELEGRAM } from './ibis-framing.js';
import { decodeTelegram, type IbisTelegram } from './ibis-telegrams.js';

const log = moduleLogger('ibis.reader');

/** Why a frame was dropped. `resync`: noise skipped before a telegram that was recovered. */
export type IbisDropReason = 'badChecksum' | 'overlong' | 'unknown' | 'malformed' | 'resync';

export interface IbisReaderCounters {
  telegrams: number;
  droppedPersonal: number;
  dropped: Record<IbisDropReason, number>;
}

export class IbisTelegramParser extends Transform {
  readonly counters: IbisReaderCounters = {
    telegrams: 0,
    droppedPersonal: 0,
    dropped: { badChecksum: 0, overlong: 0, unknown: 0, malformed: 0, resync: 0 },
  };
  private buf: number[] = [];
  private awaitingChecksum = false;
  private overflowing = false;

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (const b of chunk) this.byte(b);
    done();
  }

  private byte(b: number): void {
    if (this.awaitingChecksum) {
      this.awaitingChecksum = false;
      const frame = this.takeFrame();
      // A checksum that does not fit may be the first byte of the next telegram after noise.
      if (!this.frameEnded(frame, b)) this.byte(b);
      return;
    }
    if (b === IBIS_CR) {
      this.awaitingChecksum = true;
      return;
    }
    this.buf.push(b);
    if (this.buf.length > IBIS_MAX_TELEGRAM) {
      if (!this.overflowing) this.countDrop('overlong');
      this.overflowing = true;
      // Keep a window of the last bytes: the telegram that ends the noise is in it.
      if (this.buf.length > 2 * IBIS_MAX_TELEGRAM) this.buf = this.buf.slice(-IBIS_MAX_TELEGRAM);
    }
  }

  private takeFrame(): Uint8Array {
    const frame = Uint8Array.from(this.buf.length > IBIS_MAX_TELEGRAM ? this.buf.slice(-IBIS_MAX_TELEGRAM) : this.buf);
    this.buf = [];
    this.overflowing = false;
    return frame;
  }

  /** Handles a frame and its checksum byte; false when the checksum byte did not fit anything. */
  private frameEnded(frame: Uint8Array, checksum: number): boolean {
    // suffixSum[i]: the checksum the telegram frame[i..] would have.
    const suffixSum = new Uint8Array(frame.length + 1);
    suffixSum[frame.length] = IBIS_CHECKSUM_SEED ^ IBIS_CR;
    for (let i = frame.length - 1; i >= 0; i--) suffixSum[i] = suffixSum[i + 1]! ^ frame[i]!;

    const whole = suffixSum[0] === checksum ? decodeTelegram(frame) : undefined;
    if (whole?.type === 'telegram' || whole?.type === 'personal') {
      this.accept(whole);
      return true;
    }
    // Noise before a telegram: the earliest tail that checks and reads as a telegram is one.
    for (let i = 1; i < frame.length; i++) {
      if (suffixSum[i] !== checksum) continue;
      const tail = decodeTelegram(frame.subarray(i));
      if (tail.type === 'telegram' || (tail.type === 'personal' && tail.strict)) {
        this.countDrop('resync');
        this.accept(tail);
        return true;
      }
    }
    if (whole) {
      this.countDrop(whole.type === 'malformed' ? 'malformed' : 'unknown');
      return true;
    }
    this.countDrop('badChecksum');
    return false;
  }

  private accept(result: { type: 'telegram'; telegram: IbisTelegram } | { type: 'personal' }): void {
    if (result.type === 'personal') {
      this.counters.droppedPersonal++;
      log.debug('personal telegram dropped');
      return;
    }
    this.counters.telegrams++;
    this.push(result.telegram);
  }

  private countDrop(reason: IbisDropReason): void {
    this.counters.dropped[reason]++;
    log.debug({ reason }, 'IBIS frame dropped');
  }
}
