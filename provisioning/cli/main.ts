/**
 * The `occupancy` command line: one program for engineers (simulate), vehicles (gateway) and
 * technicians (provisioning). Each part registers its own subcommands.
 */
import { Command } from 'commander';

const program = new Command('occupancy')
  .description('HAVAG tram occupancy: gateway, simulator, provisioning and backend tools')
  .showHelpAfterError();

await program.parseAsync(process.argv);
