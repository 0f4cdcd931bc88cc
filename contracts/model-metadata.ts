/**
 * Reads an ONNX file's metadata_props (model version, feature list, training fingerprint) without
 * running it: how the gateway checks a model before loading it and how the tools describe one.
 *
 * Reads only the top level of the ModelProto at the wire level (field numbers of onnx.proto, as in
 * contracts/onnx-subset.proto) and skips the graph unread: decoding the whole model into objects
 * (every tree node of the load model, int64s as Long) took tens of MB of heap on the vehicle for a
 * few hundred bytes of metadata.
 */
import protobuf from 'protobufjs';

/** ModelProto fields: ir_version, graph, metadata_props; StringStringEntryProto: key, value. */
const IR_VERSION = 1;
const GRAPH = 7;
const METADATA_PROPS = 14;
const LENGTH_DELIMITED = 2;

export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const reader = protobuf.Reader.create(bytes);
  const props: Record<string, string> = {};
  const seen = new Set<number>();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) throw new Error('not a protobuf message');
    seen.add(field);
    if (field === METADATA_PROPS && wire === LENGTH_DELIMITED) {
      const end = reader.uint32() + reader.pos;
      let key = '';
      let value = '';
      while (reader.pos < end) {
        const t = reader.uint32();
        if (t === ((1 << 3) | LENGTH_DELIMITED)) key = reader.string();
        else if (t === ((2 << 3) | LENGTH_DELIMITED)) value = reader.string();
        else reader.skipType(t & 7);
      }
      if (reader.pos !== end) throw new Error('metadata entry overruns its length');
      props[key] = value;
    } else reader.skipType(wire);
  }
  if (!seen.has(IR_VERSION) || !seen.has(GRAPH)) throw new Error('not an ONNX model (no ir_version or graph)');
  return props;
}

/**
 * The health frame's model_version (proto Health field 6), a number as software_version is:
 * major*10000 + minor*100 + patch of the model's `model_version` metadata ("1.2.0" -> 10200; a
 * suffix such as "-noradio" is not carried). Two values are reserved below any model's (models
 * start at 1.0.0): 0, not reported (a gateway from before this field was filled, or a model whose
 * version is not major.minor.patch), and 1, no model loaded: the running sum makes the estimates.
 */
export const MODEL_VERSION_NOT_REPORTED = 0;
export const MODEL_VERSION_NO_MODEL = 1;

/** The health frame's number for a model's version, undefined when it has none that fits (not x.y.z, below 1.0.0, minor or patch above 99). */
export function modelVersionCode(version: unknown): number | undefined {
  const m = typeof version === 'string' ? /^(\d{1,5})\.(\d{1,2})\.(\d{1,2})(?:[-+].*)?$/.exec(version) : null;
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major < 1 || major > 42_949) return undefined;
  return major * 10_000 + minor * 100 + patch;
}

/** What a model_version number says, for people: "1.2.0", or undefined for the two reserved values. */
export function modelVersionText(code: number): string | undefined {
  if (code < 10_000) return undefined;
  return `${Math.floor(code / 10_000)}.${Math.floor((code % 10_000) / 100)}.${code % 100}`;
}
