/**
 * `occupancy rig`: the bench rig on a laptop (simulator/rig/bench-rig.ts): emulated modem, door
 * board, IBIS and camera on pseudo-terminals, the network-server emulator and an MQTT broker, with
 * a gateway config for them, so that the real `occupancy gateway` and `occupancy provision
 * selftest` run against it. Runs until Ctrl-C, then removes what it made.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { configureLogging } from '../../common/log.js';

interface RigOptions {
  dir: string;
  dialect: string;
  network: string;
  vehicle: string;
  type: string;
  line: string;
  mqttPort: number;
  stopEvery: number;
  seed: number;
  quiet?: boolean;
}

const integer = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${v}"`);
  return n;
};

export function registerRigCommand(program: Command): void {
  program
    .command('rig')
    .description('a bench rig without hardware: emulated modem, door board, IBIS and camera on pseudo-terminals, a network server and an MQTT broker (Ctrl-C stops it)')
    .option('--dir <folder>', 'where the device links, gateway.yaml, secrets.yaml and rig.json go', join(tmpdir(), 'occupancy-rig'))
    .option('--dialect <rui3|rn2483>', 'the emulated modem\'s firmware', 'rui3')
    .option('--network <chirpstack|tts>', 'which network server\'s MQTT events to publish', 'chirpstack')
    .option('--vehicle <id>', 'fleet number of the emulated tram', '661')
    .option('--type <id>', 'vehicle type (door-board mapping, capacity)', 'MGT-K1')
    .option('--line <id>', 'line data file under simulator/data/lines/', 'halle-5')
    .option('--mqtt-port <port>', 'MQTT broker port on 127.0.0.1 (0: any free port; rig.json says which)', integer('--mqtt-port', 0, 65_535), 1883)
    .option('--stop-every <seconds>', 'seconds from one stop to the next on the emulated tram', integer('--stop-every', 5, 3600), 40)
    .option('--seed <n>', 'random seed of the tram\'s passengers', integer('--seed', 0, 2 ** 31), 1)
    .option('--quiet', 'do not print each uplink and stop')
    .action(async (o: RigOptions) => {
      if (o.dialect !== 'rui3' && o.dialect !== 'rn2483') throw new ConfigError('--dialect', 'must be rui3 or rn2483');
      if (o.network !== 'chirpstack' && o.network !== 'tts') throw new ConfigError('--network', 'must be chirpstack or tts');
      // Ctrl-C from now on stops the rig cleanly, also while it is still starting.
      let stopRequested = false;
      let wake: () => void = () => undefined;
      const stop = (): void => {
        stopRequested = true;
        wake();
      };
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, stop);
      const { socatInstalled } = await import('../bench-rig/pty-links.js');
      if (!socatInstalled()) throw new Error('the rig needs socat for its pseudo-terminals: sudo apt-get install socat');
      configureLogging({ level: 'warn' });
      const { BenchRig } = await import('../bench-rig/bench-rig.js');
      const log = (text: string) => {
        if (!o.quiet) console.log(`${new Date().toISOString().slice(11, 19)}  ${text}`);
      };
      const rig = await BenchRig.start({
        dir: o.dir, dialect: o.dialect, network: o.network, vehicleId: o.vehicle, vehicleType: o.type, line: o.line, mqttPort: o.mqttPort,
        stopEverySeconds: o.stopEvery, seed: o.seed, log,
      });
      const d = rig.description;
      console.log(`bench rig for tram ${o.vehicle} (${o.type}, modem ${d.dialect}, ${d.network} events) in ${d.dir}
  modem        ${d.ports.modem}
  door board   ${d.ports.doorBoard}
  IBIS         ${d.ports.ibis}
  camera       ${d.ports.camera}
  MQTT broker  ${d.mqttUrl}   uplinks on ${d.uplinkTopic}
in another terminal:
  occupancy gateway --config ${d.config} --secrets ${d.secrets}
  occupancy provision selftest -c ${d.config} -s ${d.secrets} --join --uplink --sources   (with the gateway stopped)
  mosquitto_sub -h 127.0.0.1 -p ${new URL(d.mqttUrl).port} -t '${d.uplinkTopic}' -v   (or any MQTT client)
ready (Ctrl-C stops the rig)`);
      if (!stopRequested) await new Promise<void>((resolve) => (wake = resolve));
      console.log(`stopping: ${rig.counters.stops} stops served, ${rig.counters.joins} joins, ${rig.counters.uplinks} uplinks received`);
      await rig.close();
      // Emulator timers of the last second (receive windows) must not keep the rig up.
      process.exit(process.exitCode ?? 0);
    });
}
