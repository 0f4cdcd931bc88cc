/**
 * The outbox epoch a frame carries, if any. A gateway whose outbox lost its tail starts a new epoch
 * and numbers its reports afresh (issue 11); the backend keys reports by (device, epoch, seq) and
 * resets what it expects of the seqs when the epoch changes. Frames without an epoch are epoch 0.
 *
 * The one place that knows where the epoch sits in a decoded uplink: on the batch or health
 * message, or beside the reports, depending on how proto/frames.ts exposes it.
 */
import type { Uplink } from '../../proto/frames.js';

export function epochOf(uplink: Uplink): number | undefined {
  const carrier = uplink as unknown as { epoch?: unknown; message?: { epoch?: unknown } };
  const value = carrier.epoch ?? (uplink.kind !== 'stopBatch' ? carrier.message?.epoch : undefined);
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}
