import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildAck, receivedBeyond } from '../../proto/ack-ranges.js';

describe('ack ranges', () => {
  it('describe exactly the received set (cumulative part plus runs)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 300 }), { maxLength: 120 }), (received) => {
        const ack = buildAck(received, 0, 1000);
        const covered = new Set([...Array.from({ length: ack.through }, (_, i) => i + 1), ...receivedBeyond(ack.through, ack.runs)]);
        assert.deepEqual([...covered].sort((a, b) => a - b), [...received].sort((a, b) => a - b));
      }),
    );
  });

  it('never claims more than was received when runs are truncated', () => {
    const received = [1, 2, 3, 5, 7, 9, 11, 13, 15];
    const ack = buildAck(received, 0, 4);
    assert.equal(ack.through, 3);
    assert.deepEqual(receivedBeyond(ack.through, ack.runs), [5, 7]);
  });
});
