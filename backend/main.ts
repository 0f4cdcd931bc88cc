/**
 * Entry point of the back-office deployable: `occupancy backend`. Loads common, contracts, proto and
 * backend code only (no vehicle drivers, no bench).
 */
import { Command } from 'commander';
import { runProgram } from '../common/cli-program.js';
import { registerBackendCommands } from './cli.js';

const program = new Command('occupancy').description('HAVAG tram occupancy: the back office').showHelpAfterError();
registerBackendCommands(program);
await runProgram(program);
