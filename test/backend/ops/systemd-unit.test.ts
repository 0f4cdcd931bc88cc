import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerBackendCommands } from '../../../backend/cli.js';

const UNIT = readFileSync(new URL('../../../backend/ops/systemd/occupancy-backend.service', import.meta.url), 'utf8');
const ENV = readFileSync(new URL('../../../backend/ops/systemd/backend.env.example', import.meta.url), 'utf8');

describe('the backend systemd unit', () => {
  const execStart = /^ExecStart=(.*)$/m.exec(UNIT)![1]!;
  const backend = (() => {
    const program = new Command();
    registerBackendCommands(program);
    return program.commands.find((c) => c.name() === 'backend')!;
  })();

  it('starts the backend with options the command has, each with a value where it takes one', () => {
    const words = execStart.split(/\s+/);
    assert.deepEqual(words.slice(1, 3), ['/opt/occupancy/bin/occupancy.mjs', 'backend']);
    const known = new Map(backend.options.map((o) => [o.long!, o]));
    for (let i = 3; i < words.length; i++) {
      const option = known.get(words[i]!);
      assert.ok(option, `${words[i]} is not an option of occupancy backend`);
      if (option.required || option.optional) {
        assert.ok(words[i + 1] && !words[i + 1]!.startsWith('--'), `${words[i]} needs a value`);
        i++;
      }
    }
    for (const required of backend.options.filter((o) => o.mandatory)) assert.ok(words.includes(required.long!), `${required.long} is required`);
  });

  it('has every variable it uses in the example environment file, and the passwords only there', () => {
    const defined = new Set([...ENV.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    for (const [, name] of execStart.matchAll(/\$\{([A-Z_]+)\}/g)) assert.ok(defined.has(name), `${name} is not in backend.env.example`);
    assert.ok(defined.has('MQTT_PASSWORD') && defined.has('PGPASSWORD'));
    assert.ok(!/PASSWORD/.test(execStart), 'no password on the command line (visible in ps)');
    assert.match(UNIT, /^Restart=always$/m);
    assert.match(UNIT, /^RestartPreventExitStatus=2$/m, 'a configuration error (exit 2) is not retried for ever');
  });
});
