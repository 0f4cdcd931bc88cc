// Run by bench/vehicle.ts with plain node and the vehicle's node flags, inside a built vehicle image:
// the image's own load model wrapper loads the shipped model and estimates one departure at a time
// for the rows in a features file, three passes; prints JSON with memory and per-row timings.
// argv: <image dir> <features.f32> <levels.f32>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [image, featuresFile, levelsFile] = process.argv.slice(2);
const status = () => readFileSync('/proc/self/status', 'utf8');
const mb = (key, s = status()) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(s)[1]) / 1024;
// Everything the gateway process loads, so the figure is the gateway's, not a bare runtime's.
await import(pathToFileURL(join(image, 'gateway/run-vehicle.js')).href);
await import(pathToFileURL(join(image, 'gateway/cli.js')).href);
const { OnnxLoadModel } = await import(pathToFileURL(join(image, 'gateway/estimation/onnx-model.js')).href);
const { FEATURES } = await import(pathToFileURL(join(image, 'gateway/estimation/features.js')).href);
const rssBeforeModel = mb('VmRSS');
const model = await OnnxLoadModel.load(join(image, 'models/load-estimator.onnx'));
const rssModelLoaded = mb('VmRSS');
const f = new Float32Array(readFileSync(featuresFile).buffer.slice(0));
const l = new Float32Array(readFileSync(levelsFile).buffer.slice(0));
const n = f.length / FEATURES.length;
const times = [];
for (let pass = 0; pass < 4; pass++) {
  for (let i = 0; i < n; i++) {
    const row = f.subarray(i * FEATURES.length, (i + 1) * FEATURES.length);
    const lv = l.subarray(i * 2, i * 2 + 2);
    const t0 = process.hrtime.bigint();
    await model.predict(row, lv);
    if (pass > 0) times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
}
const s = status();
await model.close();
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(JSON.stringify({ rows: times.length, p50Us: q(0.5), p99Us: q(0.99), maxUs: times[times.length - 1], rssBeforeModel, rssModelLoaded, rssAfter: mb('VmRSS', s), hwm: mb('VmHWM', s), anon: mb('RssAnon', s), file: mb('RssFile', s) }));
