/**
 * Writes ONNX models (ModelProto) with protobufjs from a minimal copy of onnx.proto. Only this
 * module knows the ONNX wire format; callers build a graph of named values and nodes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const SCHEMA = fileURLToPath(new URL('../../contracts/onnx-subset.proto', import.meta.url));
let modelType: protobuf.Type | undefined;

function onnxType(): protobuf.Type {
  modelType ??= protobuf.parse(readFileSync(SCHEMA, 'utf8')).root.lookupType('onnx.ModelProto');
  return modelType;
}

export const ElemType = { FLOAT: 1, INT64: 7 } as const;
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export type AttrValue = number | string | number[] | string[] | { floats: number[] } | { ints: number[] };

function attribute(name: string, value: AttrValue): object {
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: Buffer.from(value) };
  if (typeof value === 'number') return Number.isInteger(value) ? { name, type: AttrType.INT, i: value } : { name, type: AttrType.FLOAT, f: value };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { name, type: AttrType.STRINGS, strings: (value as string[]).map((v) => Buffer.from(v)) };
    throw new TypeError(`attribute ${name}: say { floats } or { ints } for numeric lists`);
  }
  if ('floats' in value) return { name, type: AttrType.FLOATS, floats: value.floats };
  return { name, type: AttrType.INTS, ints: value.ints };
}

type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: Dim[]): object {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export class GraphBuilder {
  private readonly nodes: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly initializers: object[] = [];
  private counter = 0;

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** A constant tensor (scalar when dims is []). */
  constant(values: number[], elemType: number, dims: number[] = []): string {
    const name = `const_${this.counter++}`;
    this.initializers.push({
      name,
      dims,
      dataType: elemType,
      ...(elemType === ElemType.FLOAT ? { floatData: values } : { int64Data: values }),
    });
    return name;
  }

  /** Adds a node; returns the names of its outputs (given, or made up). */
  node(opType: string, inputs: string[], options: { outputs?: string[] | number; attributes?: Record<string, AttrValue>; domain?: string } = {}): string[] {
    const outputs = Array.isArray(options.outputs) ? options.outputs : Array.from({ length: options.outputs ?? 1 }, () => `${opType.toLowerCase()}_${this.counter++}`);
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: `${opType}_${this.counter++}`,
      ...(options.domain ? { domain: options.domain } : {}),
      attribute: Object.entries(options.attributes ?? {}).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** One output of a single-output node. */
  op(opType: string, inputs: string[], attributes?: Record<string, AttrValue>, domain?: string): string {
    return this.node(opType, inputs, { ...(attributes ? { attributes } : {}), ...(domain ? { domain } : {}) })[0]!;
  }

  build(meta: { graphName: string; producer: string; version: string; modelVersion: number; doc: string; opsets: Record<string, number>; properties: Record<string, string> }): Uint8Array {
    const type = onnxType();
    const model = type.fromObject({
      irVersion: 8,
      producerName: meta.producer,
      producerVersion: meta.version,
      modelVersion: meta.modelVersion,
      docString: meta.doc,
      opsetImport: Object.entries(meta.opsets).map(([domain, version]) => ({ domain, version })),
      graph: { name: meta.graphName, node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.initializers },
      metadataProps: Object.entries(meta.properties).map(([key, value]) => ({ key, value })),
    });
    return type.encode(model).finish();
  }
}
