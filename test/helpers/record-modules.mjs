// Preloaded with `node --import` by test/architecture: records every module the process loads, ESM
// through a loader hook and CommonJS from require's cache at exit, into the file named by
// RECORD_MODULES (one URL or path a line). Does nothing when that variable is not set.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.RECORD_MODULES;
if (out) {
  register('./record-modules-hooks.mjs', import.meta.url, { data: { out } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(out, Object.keys(require.cache).map((p) => `${p}\n`).join('')));
}
