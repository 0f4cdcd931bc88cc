#!/usr/bin/env node
// `npm run build:all`, after `tsc -p tsconfig.build.json`: copies what the compiled code reads next
// to itself (schemas, the shipped model, vehicle and line data, scenarios), so every deployable's
// compiled code in dist/ runs without the sources. The vehicle image is `npm run build` (bin/build-vehicle.mjs).
import { cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assets = [
  'proto/occupancy.proto',
  'proto/ts013-runtime.js',
  'models/load-estimator.onnx',
  'contracts/onnx-subset.proto',
  'contracts/data',
  'simulator/data',
  'simulator/scenarios',
];
for (const asset of assets) {
  const from = join(root, asset);
  if (!existsSync(from)) throw new Error(`build asset missing: ${asset}`);
  cpSync(from, join(root, 'dist', asset), { recursive: true });
}
console.log(`copied ${assets.length} assets into dist/`);
