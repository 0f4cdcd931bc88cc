import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { openSerialPort } from '../../firmware-bindings/transport/serial-port.js';
import { DisconnectedError } from '../../common/errors.js';
import { ptyPairOrSkip, type PtyPair } from '../helpers/pty.js';

describe('openSerialPort', () => {
  let pty: PtyPair | undefined;
  afterEach(async () => {
    await pty?.close();
    pty = undefined;
  });

  it('carries bytes both ways over a real pseudo-terminal pair', async function () {
    pty = await ptyPairOrSkip(this);
    const host = await openSerialPort({ path: pty.a, baudRate: 115200 });
    const device = await openSerialPort({ path: pty.b, baudRate: 115200 });
    let received = '';
    const got = new Promise<void>((resolve) =>
      device.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.length >= 4) resolve();
      }),
    );
    host.write(Buffer.from('AT\r\n'));
    await got;
    assert.equal(received, 'AT\r\n');
    await Promise.all([new Promise((r) => host.end(r)), new Promise((r) => device.end(r))]);
    host.destroy();
    device.destroy();
  });

  it('closes the port when the stream is destroyed (nothing is left to keep the process alive)', async function () {
    pty = await ptyPairOrSkip(this);
    const device = realpathSync(pty.a);
    const openOnDevice = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === device;
        } catch {
          return false; // closed meanwhile (the fd of readdir itself)
        }
      }).length;
    const port = await openSerialPort({ path: pty.a, baudRate: 115200 });
    assert.equal(openOnDevice(), 1);
    let closes = 0;
    port.on('close', () => closes++);
    port.destroy();
    await new Promise((resolve) => port.once('close', resolve));
    assert.equal(openOnDevice(), 0, 'the file descriptor of the port is still open');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closes, 1, 'one close event');
  });

  it('says which port could not be opened', async () => {
    await assert.rejects(openSerialPort({ path: '/dev/does-not-exist-tty', baudRate: 9600 }), (error: Error) => {
      assert.ok(error instanceof DisconnectedError);
      assert.match(error.message, /does-not-exist-tty/);
      return true;
    });
  });
});
