/**
 * Entry point of the vehicle deployable: `occupancy gateway` and `occupancy selftest`. The vehicle
 * image runs this file compiled (`node gateway/main.js gateway --config ...` in dist/vehicle); it
 * loads only common, contracts, proto, firmware-bindings and gateway code (test/architecture proves it).
 *
 * The stop signals are caught first, before the heavy modules (the ONNX runtime, serialport) load:
 * a SIGTERM while the process starts is a stop like any other. When the command is done the
 * process ends; a handle left open (a bug) may not keep it alive: it is named in the log and the
 * process exits anyway, so the service and the self-test always end.
 */
import { installStopSignals } from './stop-signals.js';

const stop = installStopSignals();
const [{ createProgram, runProgram }, { registerVehicleCommands }, { moduleLogger }] = await Promise.all([
  import('../common/cli-program.js'),
  import('./cli.js'),
  import('../common/log.js'),
]);

const program = createProgram('HAVAG tram occupancy: the gateway on a vehicle');
registerVehicleCommands(program, stop);
await runProgram(program);
stop.dispose();
setTimeout(() => {
  moduleLogger('gateway.main').warn({ resources: process.getActiveResourcesInfo() }, 'handles still open after the command ended; exiting anyway');
  process.exit();
}, 1000).unref();
