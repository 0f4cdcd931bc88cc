/**
 * Key material out of modem lines before anything is logged: a module that echoes what it was told
 * (`AT+APPKEY=…`, `mac set appkey …`), answers a key query, or prints a stray key-length hex token
 * must not put the key in the journal, at any log level. Applied to every modem line a log could
 * carry; over-redacting a 16-byte payload token in a debug line is the price.
 */

const KEY_COMMANDS = /((?:AT\+(?:APPKEY|APPSKEY|NWKSKEY|NWKSENCKEY|FNWKSINTKEY|SNWKSINTKEY)\s*=\s*)|(?:mac\s+set\s+(?:appkey|appskey|nwkskey)\s+))[^\s]*/gi;
/** A token of exactly 16 bytes of hex (an AES-128 key's length) standing on its own. */
const KEY_TOKEN = /(^|[^0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])/g;

export const REDACTED = '<redacted>';

/** The line with keys replaced; `secrets` (hex strings) are removed wherever they appear, in any case. */
export function redactModemLine(line: string, secrets: readonly string[] = []): string {
  let out = line.replace(KEY_COMMANDS, `$1${REDACTED}`).replace(KEY_TOKEN, `$1${REDACTED}`);
  for (const secret of secrets) {
    if (secret.length < 8) continue;
    out = out.replace(new RegExp(secret.replace(/[^0-9A-Za-z]/g, ''), 'gi'), REDACTED);
  }
  return out;
}
