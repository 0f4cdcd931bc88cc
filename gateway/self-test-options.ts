/**
 * The self-test's command-line options, shared by the vehicle's `occupancy selftest` and the
 * technicians' `occupancy provision selftest` (which also records the verdict). Imports nothing
 * heavy: defining the options must not load the modem drivers or the model.
 */
import type { Command } from 'commander';
import { positiveNumberArg } from '../common/cli-program.js';

export interface SelfTestCommandOptions {
  config: string;
  secrets: string;
  join?: boolean;
  uplink?: boolean;
  joinTimeout: number;
  sources?: boolean;
  listen: number;
}

export function withSelfTestOptions(command: Command): Command {
  return command
    .description('test a fitted gateway: modem, join, a test uplink, and what the sources hear (on the vehicle, with the service stopped)')
    .requiredOption('-c, --config <file>', 'vehicle config')
    .option('-s, --secrets <file>', 'secrets file', '/etc/tram-occupancy/secrets.yaml')
    .option('--join', 'also join the network (needs coverage and registration)')
    .option('--uplink', 'also send a test uplink after joining')
    .option('--join-timeout <seconds>', 'how long to try to join', positiveNumberArg(), 120)
    .option('--sources', 'also listen to the door board, vehicle bus, camera and radio scanner')
    .option('--listen <seconds>', 'how long to listen to the sources', positiveNumberArg(), 20);
}
