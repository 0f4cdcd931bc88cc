/**
 * Loads the wire schema. This module, frames.ts and generate.ts are the only ones that touch
 * protobufjs; its types never leave them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const SCHEMA_PATH = fileURLToPath(new URL('./occupancy.proto', import.meta.url));
export const PACKAGE = 'havag.occupancy.v1';

let cached: protobuf.Root | undefined;

export function loadSchema(): protobuf.Root {
  if (!cached) {
    const { root } = protobuf.parse(readFileSync(SCHEMA_PATH, 'utf8'), { alternateCommentMode: true });
    root.resolveAll();
    cached = root;
  }
  return cached;
}

export function messageType(name: string): protobuf.Type {
  return loadSchema().lookupType(`${PACKAGE}.${name}`);
}
