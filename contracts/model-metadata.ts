/**
 * Reads an ONNX file's metadata_props (model version, feature list, training fingerprint) without
 * running it: how the gateway checks a model before loading it and how the tools describe one. The
 * schema is the subset of onnx.proto we need (contracts/onnx-subset.proto, also used by the exporter).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const SCHEMA = fileURLToPath(new URL('./onnx-subset.proto', import.meta.url));

export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const type = protobuf.parse(readFileSync(SCHEMA, 'utf8')).root.lookupType('onnx.ModelProto');
  const model = type.toObject(type.decode(bytes), { defaults: true }) as { metadataProps: Array<{ key: string; value: string }> };
  return Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
}
