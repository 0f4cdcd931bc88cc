#!/usr/bin/env node
// `npm run build:vehicle [-- --out <dir>]`: the vehicle image, on a build host with the dev
// dependencies installed (`npm ci`): compiles the vehicle's closure from its entry point
// (tsconfig.vehicle.json) into dist/vehicle/, copies the assets it reads, and writes a package.json
// and package-lock.json naming only the packages the compiled code imports (at the versions of this
// checkout's lockfile), then packs dist/tram-occupancy-vehicle-<version>.tgz. On the vehicle:
// unpack, `npm ci --omit=dev`, run `node gateway/main.js gateway ...` (no tsx, no TypeScript).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const OUT = resolve(outIndex >= 0 ? args[outIndex + 1] : join(ROOT, 'dist/vehicle'));
const pack = !args.includes('--no-pack');

/** Files the compiled vehicle reads beside its code, and the compiled module that reads each. */
const ASSETS = [
  ['models/load-estimator.onnx', 'gateway/estimation/shipped-model.js'],
  ['proto/occupancy.proto', 'proto/schema.js'],
  ['contracts/data/vehicle-types.yaml', 'contracts/vehicle-types.js'],
];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** npm package name of a bare import specifier (`@scope/name/sub` -> `@scope/name`), or undefined. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Packages the compiled code imports: static and dynamic imports, re-exports, createRequire's require. */
export function importedPackages(dir) {
  const found = new Set();
  const patterns = [/^\s*(?:import|export)\s[^'";()]*?\sfrom\s+['"]([^'"]+)['"]/gm, /^\s*import\s+['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const file of walk(dir).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const re of patterns) for (const m of text.matchAll(re)) {
      const pkg = packageOf(m[1]);
      if (pkg) found.add(pkg);
    }
  }
  return [...found].sort();
}

/**
 * The root lockfile cut down to what `deps` need: each package's dependencies are resolved as Node
 * does (the nearest node_modules upwards), the same resolved versions and integrity hashes kept.
 */
export function prunedLock(lock, deps, name, version, engines) {
  const all = lock.packages;
  const keep = new Map(); // location -> reached through a required (not only optional) edge
  const resolveFrom = (from, dep) => {
    for (let base = from; ; ) {
      const loc = `${base ? `${base}/` : ''}node_modules/${dep}`;
      if (all[loc]) return loc;
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      base = i < 0 ? '' : base.slice(0, i);
    }
  };
  const queue = deps.map((d) => ['', d, false]);
  while (queue.length > 0) {
    const [from, dep, optional] = queue.shift();
    const loc = resolveFrom(from, dep);
    if (!loc) {
      if (optional) continue;
      throw new Error(`lockfile: ${dep} (needed by ${from || 'the vehicle'}) is not installed`);
    }
    const seen = keep.get(loc);
    if (seen === true || (seen === false && optional)) continue;
    keep.set(loc, !optional);
    const entry = all[loc];
    for (const d of Object.keys(entry.dependencies ?? {})) queue.push([loc, d, optional]);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) queue.push([loc, d, true]);
    for (const [d, meta] of Object.entries(entry.peerDependenciesMeta ?? {})) if (!meta.optional) queue.push([loc, d, optional]);
    for (const d of Object.keys(entry.peerDependencies ?? {})) if (!entry.peerDependenciesMeta?.[d]?.optional) queue.push([loc, d, optional]);
  }
  const packages = { '': { name, version, dependencies: Object.fromEntries(deps.map((d) => [d, all[`node_modules/${d}`].version])), engines } };
  for (const loc of [...keep.keys()].sort()) {
    // Flags of the root install (dev, devOptional, optional, peer) do not hold in the vehicle's tree.
    const entry = { ...all[loc] };
    for (const flag of ['dev', 'devOptional', 'optional', 'peer']) delete entry[flag];
    packages[loc] = keep.get(loc) ? entry : { ...entry, optional: true };
  }
  return { name, version, lockfileVersion: 3, requires: true, packages };
}

function main() {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  rmSync(OUT, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.vehicle.json'), '--outDir', OUT], { stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc failed (the build host needs the dev dependencies: npm ci)');
  for (const [asset, reader] of ASSETS) {
    if (!existsSync(join(OUT, reader))) continue;
    mkdirSync(dirname(join(OUT, asset)), { recursive: true });
    cpSync(join(ROOT, asset), join(OUT, asset));
  }
  const deps = importedPackages(OUT);
  for (const d of deps) if (!root.dependencies?.[d]) throw new Error(`the vehicle imports ${d}, which is not a dependency in package.json`);
  const name = 'havag-tram-occupancy-vehicle';
  const pkg = {
    name,
    version: root.version,
    description: 'HAVAG tram occupancy gateway: the vehicle image (compiled; run with node gateway/main.js)',
    private: true,
    license: root.license,
    type: 'module',
    main: 'gateway/main.js',
    engines: root.engines,
    dependencies: Object.fromEntries(deps.map((d) => [d, lock.packages[`node_modules/${d}`].version])),
  };
  const overrides = Object.fromEntries(Object.entries(root.overrides ?? {}).filter(([d]) => deps.includes(d)));
  if (Object.keys(overrides).length > 0) pkg.overrides = overrides;
  writeFileSync(join(OUT, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(OUT, 'package-lock.json'), `${JSON.stringify(prunedLock(lock, deps, name, root.version, root.engines), null, 2)}\n`);
  // onnxruntime-node's install script fetches GPU providers we do not use; the vehicle runs on the CPU.
  writeFileSync(join(OUT, '.npmrc'), 'onnxruntime-node-install=skip\n');
  let tarball;
  if (pack) {
    tarball = join(dirname(OUT), `tram-occupancy-vehicle-${root.version}.tgz`);
    const tar = spawnSync('tar', ['-czf', tarball, '-C', dirname(OUT), relative(dirname(OUT), OUT)], { stdio: 'inherit' });
    if (tar.status !== 0) throw new Error('tar failed');
  }
  console.log(`vehicle image: ${relative(process.cwd(), OUT) || '.'} (${deps.length} runtime packages: ${deps.join(', ')})${tarball ? `; ${relative(process.cwd(), tarball)}` : ''}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
