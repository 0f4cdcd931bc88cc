/**
 * The `occupancy` command line for engineers and technicians: every subcommand of the three
 * deployables in one program. A subcommand's code is imported only when it runs (help lists them
 * all without importing any), so `occupancy provision list` never loads the simulator and the
 * vehicle's commands load only vehicle code. The vehicle and the back office also have entry
 * points of their own (gateway/main.ts, backend/main.ts) that their images run.
 */
import { createProgram, registerLazily, runProgram, type LazyCommand } from '../../common/cli-program.js';

const COMMANDS: readonly LazyCommand[] = [
  { name: 'simulate', description: 'run a scenario on the bench and report against ground truth', register: async () => (await import('../../simulator/cli.js')).registerSimulateCommands },
  { name: 'static-gtfs', description: 'write a static GTFS feed of a scenario\'s lines for occupancy backend --gtfs', register: async () => (await import('../../simulator/cli.js')).registerSimulateCommands },
  { name: 'gateway', description: 'run the occupancy gateway on a vehicle (as the systemd service does)', register: async () => (await import('../../gateway/cli.js')).registerVehicleCommands },
  { name: 'selftest', description: 'test a fitted gateway: modem, join, a test uplink, and what the sources hear', register: async () => (await import('../../gateway/cli.js')).registerVehicleCommands },
  { name: 'provision', description: 'fit, register, test and install gateways (for technicians)', register: async () => (await import('./provision-commands.js')).registerProvisionCommands },
  { name: 'backend', description: 'receive uplinks from the network server over MQTT, store, acknowledge and publish', register: async () => (await import('../../backend/cli.js')).registerBackendCommands },
  { name: 'model', description: 'the on-device load estimator (ONNX): train and evaluate', register: async () => (await import('../../models/cli.js')).registerModelCommands },
  { name: 'rig', description: 'a bench rig on this laptop: emulated modem, door board, IBIS and camera on serial ports, a network server and a broker', register: async () => (await import('./rig-command.js')).registerRigCommand },
];

const program = createProgram('HAVAG tram occupancy: gateway, simulator, provisioning and backend tools');

await registerLazily(program, COMMANDS);
await runProgram(program);
