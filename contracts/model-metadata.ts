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
