/**
 * Entry point of the back-office deployable: `occupancy backend`. Loads common, contracts, proto and
 * backend code only (no vehicle drivers, no bench).
 */
import { createProgram, runProgram } from '../common/cli-program.js';
import { registerBackendCommands } from './cli.js';

const program = createProgram('HAVAG tram occupancy: the back office');
registerBackendCommands(program);
await runProgram(program);
