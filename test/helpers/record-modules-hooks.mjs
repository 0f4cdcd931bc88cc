// Loader hooks for record-modules.mjs (they run on the loader thread).
import { appendFileSync } from 'node:fs';

let out;
export async function initialize(data) {
  out = data.out;
}
export async function load(url, context, nextLoad) {
  appendFileSync(out, `${url}\n`);
  return nextLoad(url, context);
}
