/**
 * The compiled vehicle gateway as a real process on a real pseudo-terminal, with an emulated RUI3
 * module on the far end whose radio world runs on a clock at 10x real time (a join takes well under
 * a second): for the lifecycle tests (test/e2e/vehicle-lifecycle.test.ts) and the bench's shutdown
 * figures (bench/lifecycle.ts). Does nothing on import.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VirtualClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';
import { RUI3_SERIAL } from '../../firmware-bindings/lora/rui3.js';
import { openSerialPort } from '../../firmware-bindings/transport/serial-port.js';
import { EmulatedRui3 } from '../../simulator/lorawan/emulated-rui3.js';
import { RIG_START, TEST_DEVICE, radioWorld } from './modem-rig.js';
import { openPtyPair, ptyPairOrSkip, type PtyPair } from './pty.js';
import { vehicleImage } from './vehicle-image.js';
import { stringify as stringifyYaml } from 'yaml';
import { loadVehicleTypes } from '../../contracts/vehicle-types.js';
import { vehicleNodeEnv, VEHICLE_NODE_FLAGS } from '../../gateway/node-runtime.js';
import { buildVehicleConfig } from '../../provisioning/vehicle-files.js';

export type StopMoment = 'silent-start' | 'join' | 'sent';

export interface GatewayRun {
  child: ChildProcess;
  stderr: () => string;
  /** Lines the emulated module received. */
  heard: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  outboxPath: string;
  close(): Promise<void>;
}

export interface RunOptions {
  /** Nothing answers on the modem's port. */
  silent?: boolean;
  /** The network hears the module (false: joins never succeed). */
  coverage?: boolean;
  env?: Record<string, string>;
  command?: 'gateway' | 'selftest';
  /** Options for node itself (V8 flags), before the entry point; default: the vehicle's (gateway/node-runtime.ts). */
  nodeArgs?: readonly string[];
  args?: string[];
  /** The command that runs node, before its own options (default: this process's node); e.g. qemu with an arm64 node (test/architecture/arm64-image.test.ts). */
  node?: readonly string[];
  /** The image folder (default: VEHICLE_IMAGE, else the one built for this test run). */
  image?: string;
}

/** Starts the compiled gateway on a fresh pty pair, with an emulated RUI3 module on the far end unless silent. */
export async function startGateway(ctx: Mocha.Context | undefined, options: RunOptions = {}): Promise<GatewayRun> {
  const pty: PtyPair = ctx ? await ptyPairOrSkip(ctx) : await openPtyPair();
  const dir = mkdtempSync(join(tmpdir(), 'vehicle-run-'));
  const outboxPath = join(dir, 'outbox.db');
  // As the technician's tool writes it for an MGT-K1: door board, vehicle bus and camera (their
  // ports absent here: reopened with back-off, as on a tram with a cable off), the modem on the pty.
  const config = buildVehicleConfig({
    vehicleId: '661',
    type: loadVehicleTypes().get('MGT-K1')!,
    devEui: TEST_DEVICE.devEui,
    joinEui: TEST_DEVICE.joinEui,
    modemDialect: 'rui3',
    modemPort: pty.a,
    outboxPath,
    doorBoardPort: join(dir, 'no-door-board-here'),
    ibisPort: join(dir, 'no-ibis-here'),
    cameraPort: join(dir, 'no-camera-here'),
  });
  writeFileSync(join(dir, 'gateway.yaml'), stringifyYaml(config));
  writeFileSync(join(dir, 'secrets.yaml'), `devEui: ${TEST_DEVICE.devEui}\nappKey: ${TEST_DEVICE.appKey}\n`);
  chmodSync(join(dir, 'secrets.yaml'), 0o600);

  const heard: string[] = [];
  let stopClock = (): void => {};
  let modulePort: Awaited<ReturnType<typeof openSerialPort>> | undefined;
  if (!options.silent) {
    modulePort = await openSerialPort({ path: pty.b, ...RUI3_SERIAL });
    const clock = new VirtualClock(RIG_START);
    const rng = new Rng(17);
    const { air } = radioWorld(clock, rng, () => options.coverage ?? true);
    new EmulatedRui3(modulePort, clock, air, rng.fork('modem'), { factoryDevEui: TEST_DEVICE.devEui });
    let rest = '';
    modulePort.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('latin1')).split('\n');
      rest = parts.pop()!;
      heard.push(...parts.map((p) => p.replace(/\r$/, '')));
    });
    // The module's world at 10x real time: 100 ms of its time every 10 ms.
    let busy = false;
    const ticker = setInterval(() => {
      if (busy) return;
      busy = true;
      void clock.advance(100).finally(() => (busy = false));
    }, 10);
    stopClock = () => clearInterval(ticker);
  }

  const image = options.image ?? process.env['VEHICLE_IMAGE'] ?? vehicleImage();
  const command = options.command ?? 'gateway';
  const [node, ...launcher] = options.node ?? [process.execPath];
  const child = spawn(node!, [...launcher, ...(options.nodeArgs ?? VEHICLE_NODE_FLAGS), join(image, 'gateway/main.js'), command, '--config', join(dir, 'gateway.yaml'), '--secrets', join(dir, 'secrets.yaml'), ...(options.args ?? [])], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.nodeArgs ? {} : vehicleNodeEnv()), LOG_LEVEL: 'info', ...options.env },
  });
  let err = '';
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return {
    child,
    stderr: () => err + out,
    heard,
    exited,
    outboxPath,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      stopClock();
      modulePort?.destroy();
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `probe` holds (polled every 20 ms), or rejects after `ms`. */
export async function until(probe: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = performance.now();
  while (!probe()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The outbox file after the process ended: closed (no WAL left behind) and intact. */
export function outboxAfterExit(path: string): { wal: boolean; integrity: string } {
  const wal = existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return { wal, integrity: String(db.pragma('integrity_check', { simple: true })) };
  } finally {
    db.close();
  }
}

/** Stops one run at a random moment of the kind asked; returns how long the process took to end after the signal. */
export async function stopAtRandomMoment(ctx: Mocha.Context | undefined, moment: StopMoment, sig: NodeJS.Signals, rng: Rng): Promise<{ run: GatewayRun; stopMs: number; exit: { code: number | null; signal: NodeJS.Signals | null } }> {
  const run = await startGateway(ctx, { silent: moment === 'silent-start', coverage: moment !== 'join' });
  // On any failure the process, the module and socat go too (the caller closes a run it got back).
  try {
    const spawnedAt = performance.now();
    if (moment === 'silent-start') {
      // Anywhere in the start: loading the model, opening the port, the unanswered AT (3 s).
      await new Promise((r) => setTimeout(r, 200 + rng.next() * 2000));
    } else if (moment === 'join') {
      await until(() => run.heard.some((l) => l.startsWith('AT+JOIN=')), 20_000, 'the join');
      await new Promise((r) => setTimeout(r, rng.next() * 1200));
    } else {
      await until(() => run.heard.some((l) => l.startsWith('AT+SEND=')), 20_000, 'a frame');
      await new Promise((r) => setTimeout(r, rng.next() * 500));
    }
    assert.equal(run.child.exitCode, null, `the gateway ended on its own before the ${sig} (${moment}): ${run.stderr().slice(-800)}`);
    const sentAt = performance.now();
    run.child.kill(sig);
    const exit = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
    if (!exit) throw new Error(`the gateway did not end within 15 s of ${sig} (${moment}, ${Math.round(sentAt - spawnedAt)} ms after start): ${run.stderr().slice(-1500)}`);
    return { run, stopMs: exit.at - sentAt, exit };
  } catch (error) {
    await run.close();
    throw error;
  }
}

