/**
 * Fuzzed bytes into the modem's line channel: any noise (control bytes, high bytes, runs without a
 * newline far beyond a line's bound), in any chunking, then a real reply. Nothing throws, the noise
 * is dropped or passed on as unsolicited lines, and the command in flight gets exactly its reply.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../../common/clock.js';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import { AtChannel } from '../../../firmware-bindings/lora/at-channel.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('AT channel under fuzzed bytes', () => {
  it('drops any noise and still hands the command its own reply', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 400 }), { maxLength: 8 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        async (noise, longRun, maxChunk) => {
          const clock = new VirtualClock(0);
          const [host, module] = createDuplexPair({ maxChunk });
          const channel = new AtChannel(host, clock);
          const unsolicited: string[] = [];
          channel.on('line', (l) => unsolicited.push(l));
          const written: string[] = [];
          module.on('data', (b: Buffer) => written.push(b.toString('latin1')));
          const reply = channel.command({ text: 'AT+DR=?', name: 'AT+DR', timeoutMs: 5000, match: (l) => (l === 'OK' ? 'final' : l.startsWith('AT+DR=') ? 'value' : 'unrelated') });
          for (const chunk of noise) module.write(Buffer.from(chunk));
          // A run far beyond any line's bound, with no newline in it.
          if (longRun) module.write(Buffer.alloc(5000, 0x41));
          // The line that was being built when the real reply came is lost with the noise before it.
          module.write('\r\nAT+DR=3\r\nOK\r\n');
          await settle();
          const got = await reply;
          assert.deepEqual(got, { values: ['AT+DR=3'], final: 'OK' });
          assert.equal(written.join(''), 'AT+DR=?\r\n');
          const clean = (l: string) => [...l].every((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) < 0x7f);
          assert.ok(unsolicited.every((l) => l.length <= 1024 && clean(l)), 'only clean lines are passed on');
          const c = channel.counters;
          assert.equal(c.timeouts, 0);
          host.destroy();
          module.destroy();
        },
      ),
      { numRuns: 150 },
    );
  });
});
