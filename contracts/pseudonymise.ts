/**
 * The one shape in which sources hand an identifier of a person to the pseudonymiser
 * (gateway/privacy/pseudonymiser.ts): a keyed hash, separated by kind, under a key that lives in
 * memory only and rotates daily. Bindings (camera track ids) and the gateway's radio source take
 * this function, never the pseudonymiser itself, so no binding can reach the key or its epoch.
 *
 * Must never: be implemented by an unkeyed hash, or return anything from which `raw` can be read.
 */

/** Identifier kinds in use; other strings are allowed for new sources. */
export type PseudonymKind = 'camera-track' | 'radio' | (string & {});

/** Pseudonym of `raw` under the current key: same input, same key epoch, same pseudonym. */
export type Pseudonymise = (kind: PseudonymKind, raw: string) => string;
