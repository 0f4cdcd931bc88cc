/**
 * onnxruntime's Linux library records every session in a telemetry database under the user's home
 * (and uploads it when it can). The gateway's model wrapper switches that off: a process that
 * loads and runs the shipped model through it leaves nothing under its home, while the same
 * library used directly does (so the check can fail, and says when a new onnxruntime drops it).
 *
 * The library stays quiet by itself when it sees a CI service's variable (CI, GITHUB_ACTIONS,
 * GITLAB_CI, JENKINS_URL, TF_BUILD, ...); a tram has none, so both probes run with only PATH, a
 * fresh HOME and the locale, as the systemd unit does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MODEL = join(ROOT, 'models/load-estimator.onnx');
const ORT = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;

function runWithHome(script: string): { home: string; files: string[] } {
  const home = mkdtempSync(join(tmpdir(), 'ort-home-'));
  const file = join(home, 'probe.mts');
  writeFileSync(file, script);
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: home, LANG: 'C.UTF-8' };
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const files = existsSync(join(home, '.cache')) ? readdirSync(join(home, '.cache'), { recursive: true }).map(String) : [];
  return { home, files };
}

describe('onnxruntime telemetry', function () {
  this.timeout(120_000);
  const homes: string[] = [];
  after(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));

  it('is written by the library used directly, and not at all through the gateway\'s model wrapper', () => {
    const direct = runWithHome(`import * as ort from ${JSON.stringify(ORT)};\nawait ort.InferenceSession.create(${JSON.stringify(MODEL)});\n`);
    homes.push(direct.home);
    assert.ok(
      direct.files.some((f) => f.includes('onnxruntime.db')),
      `onnxruntime no longer writes its telemetry database (${direct.files.join(', ') || 'nothing under ~/.cache'}): the switch in gateway/estimation/onnx-model.ts may be dropped`,
    );

    const wrapped = runWithHome(
      [
        `import { OnnxLoadModel } from ${JSON.stringify(join(ROOT, 'gateway/estimation/onnx-model.ts'))};`,
        `import { FEATURES } from ${JSON.stringify(join(ROOT, 'gateway/estimation/features.ts'))};`,
        `const model = await OnnxLoadModel.load(${JSON.stringify(MODEL)});`,
        'for (let i = 0; i < 20; i++) await model.predict(new Float32Array(FEATURES.length), new Float32Array([40, 80]));',
        'await model.close();',
      ].join('\n'),
    );
    homes.push(wrapped.home);
    assert.deepEqual(wrapped.files, [], 'nothing under ~/.cache');
  });
});
