/** Hex helpers for EUIs and keys, with the checks every emulator needs. */

export function hexBytes(hex: string, length: number, what: string): Buffer {
  if (!new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(hex)) {
    throw new RangeError(`${what} must be ${length} bytes of hex`);
  }
  return Buffer.from(hex, 'hex');
}
