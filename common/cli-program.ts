/**
 * How every `occupancy` entry point runs its commander program: errors print one line that says
 * what to do, not a stack trace (DEBUG=1 for the trace); a configuration error exits 2, any other 1.
 */
import type { Command } from 'commander';
import { ConfigError } from './errors.js';

export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (process.env['DEBUG']) throw error;
    const message = error instanceof ConfigError ? `configuration error: ${error.message}` : `error: ${(error as Error).message}`;
    console.error(message);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  }
}

/**
 * A subcommand that is described up front but whose code is imported only when it runs: `register`
 * adds the real command (options, action) to the program.
 */
export interface LazyCommand {
  name: string;
  description: string;
  register: () => Promise<(program: Command) => void>;
}

/**
 * Registers only the command named on the command line (its module is imported now); for help, an
 * unknown name or none, registers every command's name and description without importing any.
 */
export async function registerLazily(program: Command, commands: readonly LazyCommand[], argv: readonly string[] = process.argv): Promise<void> {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  // `occupancy help <command>` shows that command's full help.
  const wanted = words[0] === 'help' ? words[1] : words[0];
  const command = commands.find((c) => c.name === wanted);
  if (command) {
    (await command.register())(program);
    return;
  }
  for (const c of commands) program.command(c.name).description(c.description);
}
