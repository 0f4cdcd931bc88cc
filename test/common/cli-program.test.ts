/**
 * The shared command-line rules (docs/cli.md) as units: which error gives which exit code, checked
 * flag values, the version lookup from a compiled image's depth, and output paths.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, InvalidArgumentError } from 'commander';
import { EXIT, exitCodeFor, integerArg, numberArg, positiveNumberArg, softwareVersion } from '../../common/cli-program.js';
import { prepareOutputDir, prepareOutputFile } from '../../common/cli-output.js';
import { ConfigError, DisconnectedError, ProtocolError, TimeoutError } from '../../common/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('command-line rules', () => {
  it('maps errors to the documented exit codes', () => {
    assert.equal(exitCodeFor(new ConfigError('network.dataRate', 'too big')), EXIT.usage);
    assert.equal(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'unknown option')), EXIT.usage);
    assert.equal(exitCodeFor(new CommanderError(0, 'commander.version', '0.1.0')), EXIT.ok);
    assert.equal(exitCodeFor(new TimeoutError('AT+JOIN', 5000)), EXIT.noAnswer);
    assert.equal(exitCodeFor(new DisconnectedError('cannot open /dev/ttyAMA0')), EXIT.noAnswer);
    assert.equal(exitCodeFor(new ProtocolError('AT_ERROR', 'AT_ERROR')), EXIT.failure);
    assert.equal(exitCodeFor(new Error('disk full')), EXIT.failure);
    assert.deepEqual([EXIT.ok, EXIT.failure, EXIT.usage, EXIT.noAnswer], [0, 1, 2, 3]);
  });

  it('checks numeric flag values', () => {
    const seed = integerArg(0);
    assert.equal(seed('7'), 7);
    for (const bad of ['seven', '', '-1', '1.5', ' ']) assert.throws(() => seed(bad), InvalidArgumentError, bad);
    const seconds = positiveNumberArg();
    assert.equal(seconds('0.5'), 0.5);
    for (const bad of ['0', '-3', 'abc', 'Infinity']) assert.throws(() => seconds(bad), InvalidArgumentError, bad);
    const share = numberArg(1, 2);
    assert.equal(share('1.12'), 1.12);
    for (const bad of ['0.99', '2.01', '', 'NaN', 'Infinity', 'x']) assert.throws(() => share(bad), InvalidArgumentError, bad);
  });

  it('finds the version in package.json from the sources and from a compiled image\'s depth', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(softwareVersion(join(ROOT, 'common/cli-program.ts')), version);
    assert.equal(softwareVersion(join(ROOT, 'dist/common/cli-program.js')), version);
    assert.equal(softwareVersion('/nowhere/common/cli-program.js'), 'unknown');
  });

  describe('output paths', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'out-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('creates folders, passes - through, and refuses what cannot be written, naming the flag', () => {
      assert.equal(prepareOutputFile(join(dir, 'a', 'b', 'report.json'), '--json'), join(dir, 'a', 'b', 'report.json'));
      assert.equal(prepareOutputDir(join(dir, 'c', 'd'), '--out'), join(dir, 'c', 'd'));
      assert.equal(prepareOutputFile('-', '--json'), '-');
      writeFileSync(join(dir, 'file'), '');
      assert.throws(() => prepareOutputFile(join(dir, 'file', 'report.json'), '--json'), (e: unknown) => e instanceof ConfigError && e.field === '--json' && /a file/.test(e.message));
      assert.throws(() => prepareOutputDir(join(dir, 'file'), '--out'), (e: unknown) => e instanceof ConfigError && e.field === '--out');
      assert.throws(() => prepareOutputDir(join(dir, 'etc', 'tram-occupancy.service'), '--out', 'tram-occupancy.service'), /--out: a folder, not a file: give .*etc \(the file is named tram-occupancy\.service/);
      mkdirSync(join(dir, 'folder'));
      assert.throws(() => prepareOutputFile(join(dir, 'folder'), '--html'), /is a folder; give a file name/);
    });
  });
});
