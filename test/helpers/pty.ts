/**
 * Real pseudo-terminal pairs through socat, for tests that must cross a real serial line
 * discipline with the serialport package. Tests call `ptyPairOrSkip(this)`: without socat they
 * are marked pending, unless REQUIRE_SOCAT=1 (as in CI), where a missing socat fails the test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** Path of one end (give it to the binding under test). */
  a: string;
  /** Path of the other end (the emulated device opens it). */
  b: string;
  close(): Promise<void>;
}

export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/**
 * socat joining two pseudo-terminals linked at the given paths. Killing it is pulling the cable;
 * calling this again with the same paths plugs it back in (the device path comes back).
 */
export async function socatLink(a: string, b: string): Promise<ChildProcess> {
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 300 && !(existsSync(a) && existsSync(b)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!(existsSync(a) && existsSync(b))) {
    child.kill();
    throw new Error('socat did not create the pseudo-terminals');
  }
  return child;
}

export async function openPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = await socatLink(a, b);
  return {
    a,
    b,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill();
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** In a mocha test or hook: a pty pair, or skip (pending) when socat is missing and not required. */
export async function ptyPairOrSkip(ctx: Mocha.Context): Promise<PtyPair> {
  if (!socatAvailable()) {
    if (process.env['REQUIRE_SOCAT'] === '1') throw new Error('socat is required (REQUIRE_SOCAT=1) but not installed');
    ctx.skip();
  }
  return openPtyPair();
}

/**
 * For a describe block whose tests each cross one pty pair: `open(this)` gives the pair (or skips,
 * as ptyPairOrSkip), `track(port)` hands a serial port over; after each test the ports are ended
 * and destroyed and socat is stopped.
 */
export function ptyFixture(): { open(ctx: Mocha.Context): Promise<PtyPair>; track<T extends Duplex>(port: T): T } {
  let pty: PtyPair | undefined;
  const ports: Duplex[] = [];
  afterEach(async () => {
    for (const p of ports.splice(0)) if (!p.destroyed) await new Promise((r) => p.end(r)).then(() => p.destroy());
    await pty?.close();
    pty = undefined;
  });
  return {
    open: async (ctx) => (pty = await ptyPairOrSkip(ctx)),
    track: (port) => {
      ports.push(port);
      return port;
    },
  };
}
