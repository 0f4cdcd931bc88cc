/**
 * lora-packet is CommonJS: TypeScript types its default import as `exports` (with the library under
 * `.default`), while Node's loader hands over `module.exports`, the library itself. This module
 * hides that difference and is the only importer of lora-packet.
 */
import loraPacketCjs from 'lora-packet';

type LoraPacketLib = typeof loraPacketCjs.default;
const loaded = loraPacketCjs as unknown as LoraPacketLib & { default?: LoraPacketLib };

export const lora: LoraPacketLib = loaded.default ?? loaded;
