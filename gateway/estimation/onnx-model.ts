/**
 * The load model in onnxruntime-node: the only module that imports onnxruntime, whose types stay
 * here. Loads the model once, checks that its feature list is exactly ours (a model trained on
 * other features would silently mislead), and runs it for one or many departures.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { ConfigError } from '../../common/errors.js';
import { onnxMetadata } from '../../contracts/model-metadata.js';
import { FEATURES } from './features.js';

export interface ModelOutputs {
  load: Float32Array;
  uncertainty: Float32Array;
  level: Int32Array;
}

/**
 * onnxruntime 1.30's Linux library carries Microsoft's telemetry (1DS): every session creation and
 * run is recorded, with a generated device id, in `~/.cache/Microsoft/DeveloperTools/.onnxruntime/
 * onnxruntime.db` (3 MB after a day of bench runs here) and uploaded to
 * mobile.events.data.microsoft.com when the host can reach it. Nothing of a tram leaves but
 * through the modem, and the Pi's SD card is not a log for somebody else: switched off for every
 * session this process creates (the library reads the variable when a session is created).
 */
export const ORT_TELEMETRY_OFF = { ORT_DISABLE_TELEMETRY: '1' } as const;

/** The outputs the gateway reads (model 1.1.0 also has a GTFS status: the back office maps levels to GTFS, contracts/occupancy-levels.ts). */
const OUTPUTS = ['load', 'uncertainty', 'level'];

export class OnnxLoadModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  get version(): string {
    return this.metadata['model_version'] ?? 'unknown';
  }

  /** Loads a model file; refuses one whose feature list differs from FEATURES, saying how. */
  static async load(source: string | Uint8Array): Promise<OnnxLoadModel> {
    let bytes: Uint8Array;
    try {
      bytes = typeof source === 'string' ? readFileSync(source) : source;
    } catch (error) {
      throw new ConfigError('estimation.modelPath', `cannot read the model: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    let metadata: Record<string, string>;
    try {
      metadata = onnxMetadata(bytes);
    } catch {
      throw new ConfigError('estimation.modelPath', 'not an ONNX model file');
    }
    let features: unknown;
    try {
      features = JSON.parse(metadata['features'] ?? 'null');
    } catch {
      features = null;
    }
    if (!Array.isArray(features)) throw new ConfigError('estimation.modelPath', 'the model carries no feature list in its metadata: refusing it');
    const expected: readonly string[] = FEATURES;
    if (features.length !== expected.length || features.some((f, i) => f !== expected[i])) {
      const missing = expected.filter((f) => !features.includes(f));
      const extra = (features as string[]).filter((f) => !expected.includes(f));
      const firstDiff = expected.findIndex((f, i) => features[i] !== f);
      throw new ConfigError(
        'estimation.modelPath',
        `the model's feature list does not match this gateway's (${missing.length ? `missing ${missing.join(', ')}; ` : ''}${extra.length ? `unknown ${extra.join(', ')}; ` : ''}first difference at position ${firstDiff}): use a model trained for this software version`,
      );
    }
    Object.assign(process.env, ORT_TELEMETRY_OFF);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    return new OnnxLoadModel(session, metadata);
  }

  /** `features`: n rows of FEATURES; `levels`: n rows of (mittel, stark besetzt) thresholds. */
  async predict(features: Float32Array, levels: Float32Array): Promise<ModelOutputs> {
    const n = features.length / FEATURES.length;
    if (!Number.isInteger(n) || levels.length !== 2 * n) throw new RangeError('features and levels must describe the same rows');
    const out = await this.session.run({
      features: new ort.Tensor('float32', features, [n, FEATURES.length]),
      levels: new ort.Tensor('float32', levels, [n, 2]),
    }, OUTPUTS);
    const int = (name: string) => Int32Array.from(out[name]!.data as BigInt64Array, (v) => Number(v));
    return {
      load: out['load']!.data as Float32Array,
      uncertainty: out['uncertainty']!.data as Float32Array,
      level: int('level'),
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
