/**
 * Figures of the vehicle deployable as it runs on the Pi: the image `npm run build` makes, the
 * compiled gateway's memory as a process (plain node, the unit's flags, a tram's sources
 * configured, joined through an emulated modem on a pseudo-terminal), the load model's memory and
 * inference time inside the image, and how long stops take at random moments. Measurements to
 * read, never pass/fail. Needs socat (the pseudo-terminal).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../common/random.js';
import { FEATURES } from '../gateway/estimation/features.js';
import { VEHICLE_NODE_ENV, VEHICLE_NODE_FLAGS, vehicleNodeEnv } from '../gateway/node-runtime.js';
import { collectSamples } from '../models/data/collect.js';
import { loadScenario } from '../simulator/scenario.js';
import { ROOT } from '../test/helpers/vehicle-image.js';
import { startGateway, stopAtRandomMoment, until, type StopMoment } from '../test/helpers/vehicle-process.js';

export interface ImageFigures {
  buildSeconds: number;
  tarballKiB: number;
  runtimePackages: number;
  lockedPackages: number;
  image: string;
  cleanup: () => void;
}

/** `npm run build` into a temporary folder, timed; the checkout's node_modules linked beside it. */
export function buildImage(): ImageFigures {
  const dir = mkdtempSync(join(tmpdir(), 'bench-vehicle-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/build-vehicle.mjs'), '--out', join(dir, 'vehicle')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  const buildSeconds = (performance.now() - t0) / 1000;
  const image = join(dir, 'vehicle');
  const pkg = JSON.parse(readFileSync(join(image, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(image, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  spawnSync('ln', ['-s', join(ROOT, 'node_modules'), join(image, 'node_modules')]);
  return {
    buildSeconds,
    tarballKiB: statSync(join(dir, `tram-occupancy-vehicle-${pkg.version}.tgz`)).size / 1024,
    runtimePackages: Object.keys(pkg.dependencies).length,
    lockedPackages: Object.keys(lock.packages).length - 1,
    image,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ProcessMemory {
  rssMb: number;
  hwmMb: number;
  anonMb: number;
  fileMb: number;
}

function memoryOf(pid: number): ProcessMemory {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(s)![1]) / 1024;
  return { rssMb: mb('VmRSS'), hwmMb: mb('VmHWM'), anonMb: mb('RssAnon'), fileMb: mb('RssFile') };
}

export interface GatewayMemory extends ProcessMemory {
  /** The malloc the process ran with (its maps name libjemalloc or not). */
  allocator: 'jemalloc' | 'glibc';
}

/**
 * The running gateway's memory: started as the unit starts it (`unit`: node flags, jemalloc when
 * installed here, glibc's settings), as the unit would without jemalloc (`glibc`), or with plain
 * `node` and no settings (`bare`); joined, its first frame sent, then 3 s of running.
 */
export async function gatewayProcessMemory(image: string, mode: 'unit' | 'glibc' | 'bare'): Promise<GatewayMemory> {
  process.env['VEHICLE_IMAGE'] = image;
  const options = mode === 'bare' ? { nodeArgs: [] } : mode === 'glibc' ? { nodeArgs: VEHICLE_NODE_FLAGS, env: { ...VEHICLE_NODE_ENV } } : {};
  const run = await startGateway(undefined, options);
  try {
    await until(() => run.heard.some((l) => l.startsWith('AT+SEND=')), 60_000, 'the first frame');
    await new Promise((r) => setTimeout(r, 3000));
    const allocator = /libjemalloc\.so/.test(readFileSync(`/proc/${run.child.pid!}/maps`, 'utf8')) ? 'jemalloc' : 'glibc';
    return { ...memoryOf(run.child.pid!), allocator };
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    await run.close();
  }
}

export interface ModelFigures {
  rows: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  rssBeforeModel: number;
  rssModelLoaded: number;
  rssAfter: number;
  hwm: number;
  anon: number;
  file: number;
}

/** The image's load model, with the vehicle's node settings: memory and one departure's inference, over a simulated morning. */
export async function modelInImage(image: string): Promise<ModelFigures> {
  const samples = await collectSamples(loadScenario('demo', ['end=10:00']));
  const dir = mkdtempSync(join(tmpdir(), 'bench-rows-'));
  try {
    const features = new Float32Array(samples.length * FEATURES.length);
    const levels = new Float32Array(samples.length * 2);
    samples.forEach((s, i) => {
      features.set(s.features, i * FEATURES.length);
      levels.set([s.levels.medium, s.levels.high], i * 2);
    });
    writeFileSync(join(dir, 'features.f32'), Buffer.from(features.buffer));
    writeFileSync(join(dir, 'levels.f32'), Buffer.from(levels.buffer));
    const child = fileURLToPath(new URL('./vehicle-model-child.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [...VEHICLE_NODE_FLAGS, child, image, join(dir, 'features.f32'), join(dir, 'levels.f32')], {
      encoding: 'utf8',
      env: { ...process.env, ...vehicleNodeEnv() },
    });
    if (r.status !== 0) throw new Error(`model child failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as ModelFigures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface StopFigures {
  moment: StopMoment;
  stops: number;
  medianMs: number;
  maxMs: number;
  clean: number;
}

/** SIGTERM or SIGINT at random moments, `perMoment` times each: time from the signal to the process's end. */
export async function stopTimes(image: string, perMoment = 4, seed = 7): Promise<StopFigures[]> {
  process.env['VEHICLE_IMAGE'] = image;
  const rng = new Rng(seed);
  const out: StopFigures[] = [];
  for (const moment of ['silent-start', 'join', 'sent'] as const) {
    const times: number[] = [];
    let clean = 0;
    for (let i = 0; i < perMoment; i++) {
      const { run, stopMs, exit } = await stopAtRandomMoment(undefined, moment, rng.chance(0.5) ? 'SIGTERM' : 'SIGINT', rng);
      times.push(stopMs);
      if (exit.code === 0 && exit.signal === null) clean++;
      await run.close();
    }
    times.sort((a, b) => a - b);
    out.push({ moment, stops: times.length, medianMs: times[Math.floor(times.length / 2)]!, maxMs: times[times.length - 1]!, clean });
  }
  return out;
}
