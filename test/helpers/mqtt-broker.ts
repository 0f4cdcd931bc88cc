/**
 * Real MQTT brokers for integration tests: aedes in-process on a loopback port (always there), and
 * Debian's mosquitto started as a child process with a throw-away config (the interop suite).
 * Without mosquitto the interop tests are pending, unless REQUIRE_MOSQUITTO=1 (as in CI), where a
 * missing mosquitto fails them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';

export interface Broker {
  url: string;
  close(): Promise<void>;
}

export async function startAedes(): Promise<Broker> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close();
        aedes.close(() => resolve());
      }),
  };
}

export function mosquittoAvailable(): boolean {
  return spawnSync('mosquitto', ['-h'], { stdio: 'ignore' }).error === undefined;
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startMosquitto(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n`);
  const child = spawn('mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let i = 0; i < 300 && !(await accepting(port)); i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${stderr.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts mosquitto, or marks the test pending when it is missing (fails instead with REQUIRE_MOSQUITTO=1). */
export async function mosquittoOrSkip(context: Mocha.Context): Promise<Broker> {
  if (!mosquittoAvailable()) {
    if (process.env['REQUIRE_MOSQUITTO'] === '1') throw new Error('mosquitto is required (REQUIRE_MOSQUITTO=1) but not installed');
    context.skip();
  }
  return startMosquitto();
}
