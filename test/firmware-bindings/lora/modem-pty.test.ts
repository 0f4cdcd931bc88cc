import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { VirtualClock } from '../../../common/clock.js';
import { Rng } from '../../../common/random.js';
import type { Downlink } from '../../../firmware-bindings/lora/modem.js';
import { openSerialPort } from '../../../firmware-bindings/transport/serial-port.js';
import { DIALECTS, RIG_START, TEST_DEVICE, radioWorld } from '../../helpers/modem-rig.js';
import { ptyFixture } from '../../helpers/pty.js';

/** Counts bytes written into either end and read out of the other: what is still in the kernel. */
function transitCounter(a: Duplex, b: Duplex): () => number {
  let written = 0;
  let read = 0;
  for (const [writer, reader] of [
    [a, b],
    [b, a],
  ] as const) {
    const write = writer.write.bind(writer) as (chunk: string | Buffer, encoding?: BufferEncoding) => boolean;
    writer.write = ((chunk: string | Buffer, encoding?: BufferEncoding) => {
      written += typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding ?? 'utf8') : chunk.length;
      return write(chunk, encoding);
    }) as typeof writer.write;
    reader.on('data', (chunk: Buffer) => (read += chunk.length));
  }
  return () => written - read;
}

/**
 * Runs `task` on a virtual clock over a real line: virtual time moves only while no byte is in
 * transit, so a slow machine makes the test slower, never wrong.
 */
async function drive<T>(clock: VirtualClock, inTransit: () => number, task: Promise<T>, limitMs = 600_000): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  task.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  for (let spent = 0; !outcome; ) {
    if (inTransit() > 0) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    if (spent >= limitMs) throw new Error(`task still pending after ${limitMs} ms of virtual time`);
    await clock.advance(50);
    spent += 50;
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

for (const fixture of DIALECTS) {
  describe(`LoRa modem, ${fixture.dialect} dialect, over a real pseudo-terminal with serialport`, () => {
    const ptys = ptyFixture();

    it(`joins, sends and hears a downlink at ${fixture.serial.baudRate} baud; the network server checks the frames`, async function () {
      const pty = await ptys.open(this);
      const gatewayPort = ptys.track(await openSerialPort({ path: pty.a, ...fixture.serial }));
      const modulePort = ptys.track(await openSerialPort({ path: pty.b, ...fixture.serial }));
      const inTransit = transitCounter(gatewayPort, modulePort);
      const clock = new VirtualClock(RIG_START);
      const rng = new Rng(11);
      const { air, ns, published } = radioWorld(clock, rng);
      fixture.emulate(modulePort, clock, air, rng.fork('modem'), { factoryDevEui: TEST_DEVICE.devEui });
      const modem = fixture.driver(gatewayPort, clock, { credentials: TEST_DEVICE });
      const downlinks: Downlink[] = [];
      modem.on('downlink', (d) => downlinks.push(d));

      await drive(clock, inTransit, modem.open());
      await drive(clock, inTransit, modem.join());
      assert.deepEqual(await drive(clock, inTransit, modem.status()), { joined: true, dr: 5, maxPayload: 222 });
      ns.enqueueDownlink(TEST_DEVICE.devEui, { fPort: 7, payload: Buffer.from('a1b2', 'hex'), confirmed: false });
      assert.equal((await drive(clock, inTransit, modem.send(2, Uint8Array.from([0x10, 0x20, 0x30])))).delivered, true);

      assert.equal(ns.stats.joins, 1);
      assert.equal(ns.stats.micFailures, 0);
      assert.deepEqual(
        published.map((u) => [u.fPort, u.payload.toString('hex')]),
        [[2, '102030']],
      );
      assert.deepEqual(
        downlinks.map((d) => [d.fPort, Buffer.from(d.payload).toString('hex')]),
        [[7, 'a1b2']],
      );
      assert.deepEqual([modem.counters.droppedLines, modem.counters.unknownLines, modem.counters.timeouts], [0, 0, 0]);
    });
  });
}
