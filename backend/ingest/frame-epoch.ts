/**
 * The outbox epoch a frame carries, if any. A gateway whose outbox lost its tail starts a new epoch
 * and numbers its reports afresh (docs/delivery.md); the backend keys reports by (device, epoch, seq)
 * and resets what it expects of the seqs when the epoch changes. Stop batches and health frames
 * carry it (`outbox_epoch`); 0 is a gateway without one. Live frames carry none.
 */
import type { Uplink } from '../../proto/frames.js';

export function epochOf(uplink: Uplink): number | undefined {
  switch (uplink.kind) {
    case 'stopBatch':
      return uplink.epoch;
    case 'health':
      return uplink.message.outboxEpoch;
    default:
      return undefined;
  }
}
