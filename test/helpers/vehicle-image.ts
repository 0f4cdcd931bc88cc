/**
 * The vehicle image as `npm run build:vehicle` makes it (bin/build-vehicle.mjs), built once per
 * test run into a temporary folder and shared by the suites that run it as a process; this
 * checkout's node_modules sits beside it (the packages are the same; the image's own package.json
 * names which of them go to the vehicle). Does nothing on import.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let image: string | undefined;

/** The folder of the built image (node_modules linked); built on first use, removed at exit. */
export function vehicleImage(): string {
  if (image) return image;
  const dir = mkdtempSync(join(tmpdir(), 'vehicle-image-'));
  const out = join(dir, 'vehicle');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/build-vehicle.mjs'), '--out', out, '--no-pack'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build:vehicle failed: ${r.stdout}${r.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  image = out;
  return out;
}
