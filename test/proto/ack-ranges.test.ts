import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildAck, missingBeyond, receivedBeyond } from '../../proto/ack-ranges.js';

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

  it('name every missing seq up to what the gateway said it has, and nothing received', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 80 }), fc.integer({ min: 0, max: 250 }), (received, known) => {
        const ack = buildAck(received, 0, 1000, known);
        const got = new Set(received);
        const missing = missingBeyond(ack.through, ack.runs);
        const top = Math.max(known, ...received, 0);
        assert.deepEqual(missing, Array.from({ length: top }, (_, i) => i + 1).filter((s) => !got.has(s) && s > ack.through));
      }),
    );
  });

  it('end with a missing run only when the gateway has more than arrived', () => {
    assert.deepEqual(buildAck([1, 2, 4], 0, 16, 7), { through: 2, runs: [1, 1, 3] });
    assert.deepEqual(buildAck([1, 2, 4], 0, 16, 3), { through: 2, runs: [1, 1] });
    assert.deepEqual(missingBeyond(2, [1, 1, 3]), [3, 5, 6, 7]);
  });
});
