/**
 * The `occupancy` command line: one program for engineers (simulate), vehicles (gateway) and
 * technicians (provisioning). Each part registers its own subcommands. Errors print one line that
 * says what to do, not a stack trace (set DEBUG=1 for the trace).
 */
import { Command } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { registerBackendCommands } from '../../backend/cli.js';
import { registerGatewayCommands } from '../../gateway/cli.js';
import { registerSimulateCommands } from '../../simulator/cli.js';
import { registerProvisionCommands } from './provision-commands.js';
import { registerModelCommands } from '../../models/cli.js';

const program = new Command('occupancy')
  .description('HAVAG tram occupancy: gateway, simulator, provisioning and backend tools')
  .showHelpAfterError();

registerSimulateCommands(program);
registerGatewayCommands(program);
registerProvisionCommands(program);
registerBackendCommands(program);
registerModelCommands(program);
(await import('./rig-command.js')).registerRigCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (process.env['DEBUG']) throw error;
  const message = error instanceof ConfigError ? `configuration error: ${error.message}` : `error: ${(error as Error).message}`;
  console.error(message);
  process.exitCode = error instanceof ConfigError ? 2 : 1;
}
