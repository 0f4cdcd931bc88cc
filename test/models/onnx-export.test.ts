import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../common/random.js';
import { ConfigError } from '../../common/errors.js';
import { FEATURE_INDEX, FEATURES } from '../../gateway/estimation/features.js';
import { OnnxLoadModel } from '../../gateway/estimation/onnx-model.js';
import { exportLoadModel } from '../../models/onnx/export-load-model.js';
import { ElemType, GraphBuilder } from '../../models/onnx/onnx-writer.js';
import { SHIPPED_MODEL } from '../../gateway/estimation/shipped-model.js';
import { predictGbdt, trainGbdt, type Dataset } from '../../models/training/gbdt.js';

const F = FEATURES.length;

function sample(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * F);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) x[i * F + f] = rng.next();
    x[i * F + FEATURE_INDEX.capacity] = rng.pick([118, 166, 172, 267]);
    x[i * F + FEATURE_INDEX.seats_share] = rng.uniform(0.35, 0.45);
    y[i] = 0.03 * x[i * F]! - 0.01 * x[i * F + 2]!;
  }
  return { x, y, featureCount: F };
}

const PARAMS = { trees: 40, depth: 4, learningRate: 0.2, minLeaf: 20, lambda: 1, subsample: 1, bins: 64, seed: 1 };

/** Debian's python3-onnx, if this machine has it (CI installs it). */
function onnxChecker(): string | undefined {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return undefined;
  return spawnSync(python, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0 ? python : undefined;
}

function checkerOrSkip(ctx: Mocha.Context): string {
  const python = onnxChecker();
  if (!python) {
    if (process.env['REQUIRE_ONNX_CHECKER'] === '1') throw new Error('python3-onnx is required (REQUIRE_ONNX_CHECKER=1) but /usr/bin/python3 cannot import onnx');
    ctx.skip();
  }
  return python!;
}

describe('the ONNX load model', () => {
  const data = sample(3000, 1);
  const correction = trainGbdt(data, PARAMS);
  const absError = trainGbdt({ ...data, y: data.y.map((v) => Math.abs(v) / 3 + 0.005) }, PARAMS);
  const bytes = exportLoadModel(correction, absError, { version: 'test', modelVersion: 1, fingerprint: 'f', trainedAt: '2026-11-22', notes: {} });

  it('gives what the trainer gives, within 1e-4, in onnxruntime', async () => {
    const model = await OnnxLoadModel.load(bytes);
    const n = 200;
    const check = sample(n, 2);
    const levels = new Float32Array(n * 2).map((_, i) => (i % 2 ? 73 : 25));
    const out = await model.predict(check.x, levels);
    for (let i = 0; i < n; i++) {
      const cap = check.x[i * F + FEATURE_INDEX.capacity]!;
      const expected = Math.min(2 * cap, Math.max(0, (check.x[i * F + FEATURE_INDEX.running_sum]! + predictGbdt(correction, check.x, i * F)) * cap));
      assert.ok(Math.abs(out.load[i]! / cap - expected / cap) < 1e-4, `row ${i}: ${out.load[i]} vs ${expected}`);
      const level = 1 + (out.load[i]! >= 25 ? 1 : 0) + (out.load[i]! >= 73 ? 1 : 0);
      assert.equal(out.level[i], level);
      assert.ok(out.uncertainty[i]! > 0);
    }
    await model.close();
  });

  it('refuses a model whose feature list is not ours, naming the difference', async () => {
    const g = new GraphBuilder();
    const x = g.input('features', ElemType.FLOAT, ['N', F - 1]);
    g.node('Identity', [x], { outputs: ['load'] });
    g.output('load', ElemType.FLOAT, ['N', F - 1]);
    const other = g.build({ graphName: 'g', producer: 't', version: 't', modelVersion: 1, doc: '', opsets: { '': 15 }, properties: { features: JSON.stringify(FEATURES.filter((f) => f !== 'radio_current')) } });
    await assert.rejects(OnnxLoadModel.load(other), (e: Error) => e instanceof ConfigError && /missing radio_current/.test(e.message));
    await assert.rejects(OnnxLoadModel.load(Buffer.from('not a model')), /ONNX|feature list/);
    await assert.rejects(OnnxLoadModel.load('/nonexistent/model.onnx'), /ENOENT/);
  });

  it('passes the ONNX checker (Debian python3-onnx), as exported and as shipped', function () {
    const python = checkerOrSkip(this);
    const dir = mkdtempSync(join(tmpdir(), 'onnx-'));
    try {
      const path = join(dir, 'test.onnx');
      writeFileSync(path, bytes);
      for (const file of [path, SHIPPED_MODEL]) {
        const r = spawnSync(python, ['-c', 'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${file}: ${r.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships a model with its version, feature list and training fingerprint', async () => {
    const model = await OnnxLoadModel.load(SHIPPED_MODEL);
    assert.match(model.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(JSON.parse(model.metadata['features']!), [...FEATURES]);
    assert.match(model.metadata['training_fingerprint']!, /^[0-9a-f]{16}$/);
    await model.close();
  });
});
