/**
 * The secrets file never shows its content: malformed files of every kind (fuzzed) are refused with
 * messages, warnings and logs that carry no byte of the AppKey or the level seed; and a secrets file
 * belongs to one vehicle (its DevEUI).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../common/errors.js';
import { configureLogging, currentLogLevel } from '../../common/log.js';
import { loadGatewaySecrets } from '../../gateway/config.js';

const DEV_EUI = '70b3d57ed0010295';
const hexBytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));

/** Everything a process could show: what it writes, what it logs, what it warns, and the error it ends with. */
function captureOutput<T>(fn: () => T): { out: string; result?: T; error?: unknown } {
  const chunks: string[] = [];
  const grab = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('latin1'));
    return true;
  };
  const saved = { out: process.stdout.write, err: process.stderr.write, console: { ...console } };
  const level = currentLogLevel();
  const onWarning = (w: Error) => chunks.push(`${w.name}: ${w.message}`);
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  for (const m of ['log', 'warn', 'error', 'info', 'debug'] as const) console[m] = (...args: unknown[]) => chunks.push(args.map(String).join(' '));
  process.on('warning', onWarning);
  configureLogging({ destination: { write: (line: string) => chunks.push(line) }, level: 'trace' });
  try {
    const result = fn();
    return { out: chunks.join('\n'), result };
  } catch (error) {
    chunks.push(String(error), (error as Error).message ?? '');
    return { out: chunks.join('\n'), error };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    Object.assign(console, saved.console);
    process.off('warning', onWarning);
    configureLogging({ destination: { write: (line: string) => process.stderr.write(line) }, level });
  }
}

/** Any 4 consecutive bytes of a secret, as hex in either case, or the raw bytes: a partial echo counts. */
function leakOf(secret: string, text: string): string | undefined {
  const lower = text.toLowerCase();
  for (let i = 0; i + 8 <= secret.length; i += 2) {
    const window = secret.slice(i, i + 8).toLowerCase();
    if (lower.includes(window)) return window;
  }
  if (text.includes(Buffer.from(secret, 'hex').toString('latin1'))) return 'raw bytes';
  return undefined;
}

/** Ways a technician's editor, a bad copy or a full disk break a secrets file, each with the secrets in it. */
const TOKENS = [':', '"', "'", '[', ']', '{', '}', ',', '\t', '  ', '\n', '- ', '? ', '|', '>', '#', '%', '@', '`', '&a ', '*a', '!', '!!binary ', '!!int ', '---\n', '...\n', '%YAML 1.1\n', '\u0000', '\ufeff', '\\', 'appKey: ', 'devEui: ', '<<: *a\n'];

const brokenSecretsFile = fc
  .record({
    key: hexBytes(16),
    seed: hexBytes(32),
    json: fc.boolean(),
    upper: fc.boolean(),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        cut: fc.integer({ min: 0, max: 6 }),
        text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 }), fc.constantFrom('KEY', 'SEED', '*KEY', '&KEY ', '!KEY ', 'KEY: x\n', '[KEY', '"KEY', 'KEY:KEY', '{KEY}', '? KEY\n')),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ key, seed, json, upper, edits }) => {
    const k = upper ? key.toUpperCase() : key;
    let text = json ? `{"devEui": "${DEV_EUI}", "appKey": "${k}", "levelSeed": "${seed}"}\n` : `devEui: ${DEV_EUI}\nappKey: ${k}\nlevelSeed: ${seed}\n`;
    for (const e of edits) {
      const at = e.at % (text.length + 1);
      text = text.slice(0, at) + e.text.replace(/KEY/g, key).replace(/SEED/g, seed) + text.slice(at + e.cut);
    }
    return { key, seed, text };
  });

describe('secrets file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'secrets-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string) => {
    const path = join(dir, 'secrets.yaml');
    writeFileSync(path, text);
    chmodSync(path, 0o600);
    return path;
  };

  it('shows no byte of the AppKey or the level seed for malformed files (fuzzed): not in errors, warnings, stdout, stderr or logs', () => {
    let refused = 0;
    fc.assert(
      fc.property(brokenSecretsFile, ({ key, seed, text }) => {
        const path = write(text);
        const { out, error } = captureOutput(() => loadGatewaySecrets(path, DEV_EUI));
        if (error !== undefined) {
          refused++;
          assert.ok(error instanceof ConfigError, `only ConfigErrors, with messages for people: ${String(error)}`);
          assert.ok(!error.message.includes('\n'), 'one line');
        }
        const shown = out.split(path).join('');
        for (const [name, secret] of [['AppKey', key], ['level seed', seed]] as const) {
          const leak = leakOf(secret, shown);
          assert.equal(leak, undefined, `${name} bytes ${leak} shown for ${JSON.stringify(text)}:\n${shown}`);
        }
      }),
      { numRuns: 600 },
    );
    assert.ok(refused > 300, `most fuzzed files are refused (${refused}): the check saw error paths`);
  });

  it('names the field and the YAML fault by code and position, without content', () => {
    const key = '98929b92c49edba9676d646d3b612456';
    const cases: Array<[string, RegExp]> = [
      [`devEui: ${DEV_EUI}\nappKey: [${key}\n`, /not valid YAML\/JSON \([A-Z_]+ at line \d+, column \d+\); its content is not shown/],
      [`devEui: ${DEV_EUI}\nappKey: *${key}\n`, /not valid YAML\/JSON/],
      [`devEui: ${DEV_EUI}\nappKey: ${key}\nappKey: ${key}\n`, /DUPLICATE_KEY/],
      [`devEui: ${DEV_EUI}\nappKey: ${key}x\n`, /^secrets\.appKey: expected 16 bytes of hex/],
      [`devEui: ${DEV_EUI}\n${key}: x\nappKey: ${key}\n`, /^secrets: 1 unknown key\(s\): a secrets file holds only devEui, appKey, levelSeed/],
      [`${key}\n`, /^secrets: .*expected object/],
      [`appKey: ${key}\n`, /^secrets\.devEui: /],
    ];
    for (const [text, expected] of cases) {
      const { error } = captureOutput(() => loadGatewaySecrets(write(text), DEV_EUI));
      assert.ok(error instanceof ConfigError, `${JSON.stringify(text)} was accepted`);
      assert.match(error.message, expected);
      assert.equal(leakOf(key, error.message.split(dir).join('')), undefined, error.message);
    }
  });

  it('belongs to one vehicle: a secrets file for another DevEUI is refused', () => {
    const path = write(`devEui: 70B3D57ED0010296\nappKey: 000102030405060708090a0b0c0d0e0f\n`);
    assert.throws(() => loadGatewaySecrets(path, DEV_EUI), (e: unknown) => e instanceof ConfigError && e.field === 'secrets.devEui' && /70B3D57ED0010296.*70B3D57ED0010295/.test(e.message) && !e.message.includes('0001020304'));
    assert.equal(loadGatewaySecrets(path, '70b3d57ed0010296').appKey, '000102030405060708090a0b0c0d0e0f', 'case does not matter');
  });
});
