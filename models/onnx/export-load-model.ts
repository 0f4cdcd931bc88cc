/**
 * Exports the load estimator as ONNX: one TreeEnsembleRegressor (ai.onnx.ml) with two targets,
 * the correction on top of the running sum and the expected absolute error (both as shares of
 * design capacity), then ordinary ONNX ops that turn them into the outputs the gateway uses:
 *   load         passengers, clamped to [0, 2 x capacity]
 *   uncertainty  one standard deviation, passengers
 *   level        Halle's level 1 leer, 2 mittel, 3 stark besetzt (thresholds given per vehicle)
 * Inputs: `features` [N, F] in the order of FEATURES, `levels` [N, 2] (mittel, stark thresholds).
 */
import { FEATURE_INDEX, FEATURES } from '../../gateway/estimation/features.js';
import type { GbdtModel, TreeNode } from '../training/gbdt.js';
import { ElemType, GraphBuilder } from './onnx-writer.js';

/** E|X| = sd·sqrt(2/π) for a normal error: sd = E|X| · 1.2533. */
export const SIGMA_PER_MEAN_ABS_ERROR = Math.sqrt(Math.PI / 2);

interface EnsembleArrays {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  values: number[];
  trueIds: number[];
  falseIds: number[];
  targetTreeIds: number[];
  targetNodeIds: number[];
  targetIds: number[];
  targetWeights: number[];
}

function addTrees(a: EnsembleArrays, model: GbdtModel, target: number, firstTreeId: number): void {
  model.trees.forEach((root, t) => {
    const treeId = firstTreeId + t;
    let next = 0;
    const visit = (node: TreeNode): number => {
      const id = next++;
      const at = a.nodeIds.length;
      a.treeIds.push(treeId);
      a.nodeIds.push(id);
      if ('leaf' in node) {
        a.featureIds.push(0);
        a.modes.push('LEAF');
        a.values.push(0);
        a.trueIds.push(0);
        a.falseIds.push(0);
        a.targetTreeIds.push(treeId);
        a.targetNodeIds.push(id);
        a.targetIds.push(target);
        a.targetWeights.push(node.leaf);
        return id;
      }
      a.featureIds.push(node.feature);
      a.modes.push('BRANCH_LEQ');
      a.values.push(node.threshold);
      a.trueIds.push(0);
      a.falseIds.push(0);
      a.trueIds[at] = visit(node.left);
      a.falseIds[at] = visit(node.right);
      return id;
    };
    visit(root);
  });
}

export interface ExportMeta {
  version: string;
  modelVersion: number;
  fingerprint: string;
  trainedAt: string;
  notes: Record<string, string>;
}

export function exportLoadModel(correction: GbdtModel, absError: GbdtModel, meta: ExportMeta): Uint8Array {
  const a: EnsembleArrays = { treeIds: [], nodeIds: [], featureIds: [], modes: [], values: [], trueIds: [], falseIds: [], targetTreeIds: [], targetNodeIds: [], targetIds: [], targetWeights: [] };
  addTrees(a, correction, 0, 0);
  addTrees(a, absError, 1, correction.trees.length);
  const g = new GraphBuilder();
  const F = FEATURES.length;
  const features = g.input('features', ElemType.FLOAT, ['N', F]);
  const levels = g.input('levels', ElemType.FLOAT, ['N', 2]);
  const raw = g.op(
    'TreeEnsembleRegressor',
    [features],
    {
      aggregate_function: 'SUM',
      base_values: { floats: [correction.base, absError.base] },
      n_targets: 2,
      nodes_treeids: { ints: a.treeIds },
      nodes_nodeids: { ints: a.nodeIds },
      nodes_featureids: { ints: a.featureIds },
      nodes_modes: a.modes,
      nodes_values: { floats: a.values },
      nodes_truenodeids: { ints: a.trueIds },
      nodes_falsenodeids: { ints: a.falseIds },
      post_transform: 'NONE',
      target_treeids: { ints: a.targetTreeIds },
      target_nodeids: { ints: a.targetNodeIds },
      target_ids: { ints: a.targetIds },
      target_weights: { floats: a.targetWeights },
    },
    'ai.onnx.ml',
  );
  const i64 = (v: number) => g.constant([v], ElemType.INT64);
  const f = (v: number) => g.constant([v], ElemType.FLOAT);
  const column = (tensor: string, index: number) => g.op('Gather', [tensor, i64(index)], { axis: 1 });
  const corr = column(raw, 0);
  const absErr = column(raw, 1);
  const rs = column(features, FEATURE_INDEX.running_sum);
  const cap = column(features, FEATURE_INDEX.capacity);
  const loadRaw = g.op('Mul', [g.op('Add', [rs, corr]), cap]);
  const load = g.node('Min', [g.op('Max', [loadRaw, f(0)]), g.op('Mul', [cap, f(2)])], { outputs: ['load'] })[0]!;
  g.node('Mul', [g.op('Mul', [g.op('Max', [absErr, f(0)]), cap]), f(SIGMA_PER_MEAN_ABS_ERROR)], { outputs: ['uncertainty'] });
  const step = (x: string) => g.op('Cast', [x], { to: ElemType.INT64 });
  const atLeast = (threshold: string) => step(g.op('GreaterOrEqual', [load, threshold]));
  const levelSum = g.op('Add', [atLeast(column(levels, 0)), atLeast(column(levels, 1))]);
  g.node('Add', [levelSum, i64(1)], { outputs: ['level'] });
  g.output('load', ElemType.FLOAT, ['N']);
  g.output('uncertainty', ElemType.FLOAT, ['N']);
  g.output('level', ElemType.INT64, ['N']);
  return g.build({
    graphName: 'havag_load_estimator',
    producer: 'havag-tram-occupancy models/onnx',
    version: meta.version,
    modelVersion: meta.modelVersion,
    doc: 'Load on departure from door counts, camera and context; see models/MODEL-CARD.md',
    opsets: { '': 15, 'ai.onnx.ml': 3 },
    properties: {
      model_version: meta.version,
      features: JSON.stringify(FEATURES),
      training_fingerprint: meta.fingerprint,
      trained_at: meta.trainedAt,
      ...meta.notes,
    },
  });
}
