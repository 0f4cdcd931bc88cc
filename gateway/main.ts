/**
 * Entry point of the vehicle deployable: `occupancy gateway` and `occupancy selftest`. The vehicle
 * image runs this file compiled (`node dist/gateway/main.js gateway --config ...`); it loads only
 * common, contracts, proto, firmware-bindings and gateway code (test/architecture proves it).
 */
import { createProgram, runProgram } from '../common/cli-program.js';
import { registerVehicleCommands } from './cli.js';

const program = createProgram('HAVAG tram occupancy: the gateway on a vehicle');
registerVehicleCommands(program);
await runProgram(program);
